import Dispatch
public import PortcullisPluginKit

/// `iplist`: allows or denies by the client address the host resolved through its trusted
/// proxies, from CIDR allow and deny lists of any length.
///
/// Not flagged `.cacheable`: a lookup costs less than a cache probe, and the answer must
/// follow a list file as soon as it is reloaded. Not blocking: the lookup is in memory and
/// files are re-read on a background timer, never on the request path.
public final class IplistPlugin: PortcullisPlugin {
    public static let name = "iplist"
    public static let version = "1.0.0"

    public static let options: [PluginOption] = [
        .list("allow", help: "addresses or CIDR prefixes (IPv4 or IPv6) to allow"),
        .list("deny", help: "addresses or CIDR prefixes to deny; beats an allow of the same prefix"),
        .list("allow_file", help: "file(s) with one address or prefix per line (# comments)"),
        .list("deny_file", help: "file(s) with one address or prefix per line (# comments)"),
        .string("default", help: "allow or deny for addresses no entry covers (default: deny if allow or allow_file is given, even empty, else allow)"),
        .integer("reload_interval", in: 0...86_400, help: "seconds between checks for changed files; 0 never re-reads (default 5)"),
    ]

    public let lists: ReloadingPolicy
    private let watcher: FileWatcher?

    public convenience init(options: PluginOptions, host: PluginHost) throws {
        try self.init(options: options, host: host, watchInterval: nil)
    }

    /// `watchInterval`, when given, replaces a non-zero `reload_interval`: a test of the watcher
    /// need not wait whole seconds.
    init(options: PluginOptions, host: PluginHost, watchInterval: DispatchTimeInterval?) throws {
        func entries(_ name: String) throws(ListError) -> [IPPrefix] {
            try options.list(name).enumerated().map { (offset, text) throws(ListError) in
                try ListParser.entry(text, source: "argument '\(name)'", line: offset + 1)
            }
        }
        let defaultAction: ListAction?
        switch options.string("default") {
        case nil: defaultAction = nil
        case "allow": defaultAction = .allow
        case "deny": defaultAction = .deny
        case let other?: throw ListError(source: "argument 'default'", message: "must be allow or deny, not '\(other)'")
        }
        let sources = ListSources(
            allow: try entries("allow"), deny: try entries("deny"),
            allowFiles: options.list("allow_file"), denyFiles: options.list("deny_file"),
            allowListGiven: options.contains("allow") || options.contains("allow_file"), defaultAction: defaultAction)
        lists = try ReloadingPolicy(sources: sources, host: host)
        let interval = options.integer("reload_interval", default: 5)
        watcher = lists.hasFiles && interval > 0 ? FileWatcher(every: watchInterval ?? .seconds(interval), lists: lists) : nil
    }

    deinit { watcher?.stop() }

    public func check(_ request: PluginRequest) -> PluginOutcome {
        lists.policy.decide(request.client)
    }
}

/// Polls the list files on a private queue. Polling (rather than inotify) also sees a file
/// replaced by rename, on any file system, for the price of a few `stat` calls.
final class FileWatcher: Sendable {
    // DispatchSourceTimer is thread-safe but not marked Sendable.
    private nonisolated(unsafe) let timer: any DispatchSourceTimer
    private let queue = DispatchQueue(label: "portcullis.iplist.reload")

    init(every interval: DispatchTimeInterval, lists: ReloadingPolicy) {
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(250))
        timer.setEventHandler { lists.reloadIfChanged() }
        timer.resume()
    }

    /// Stops the timer and waits for a reload already running: after destroy() the host frees
    /// the log callback that reload may still be using.
    func stop() {
        timer.cancel()
        queue.sync {}
    }
}
