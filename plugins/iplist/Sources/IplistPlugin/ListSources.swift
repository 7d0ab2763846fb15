public import PortcullisPluginKit

/// Where one instance's lists come from: inline entries (already parsed, fixed for the
/// instance's life) and files (re-read when they change).
public struct ListSources: Sendable {
    public var allowFiles: [String]
    public var denyFiles: [String]
    /// The inline entries, checked once when the instance is created.
    public var inline: [(prefix: IPPrefix, action: ListAction)]
    /// The answer for unlisted addresses.
    public var defaultAction: ListAction

    /// `defaultAction` nil picks the documented default: deny as soon as any allow source
    /// is configured (even a file that is empty right now, so emptying it never opens the
    /// door), else allow.
    public init(
        allow: [IPPrefix] = [], deny: [IPPrefix] = [], allowFiles: [String] = [], denyFiles: [String] = [],
        defaultAction: ListAction? = nil
    ) {
        self.allowFiles = allowFiles
        self.denyFiles = denyFiles
        inline = allow.map { ($0, .allow) } + deny.map { ($0, .deny) }
        self.defaultAction = defaultAction ?? (allow.isEmpty && allowFiles.isEmpty ? .allow : .deny)
    }

    /// One loaded version of every file: the policy and the stamps of the files it came from.
    public struct Loaded: Sendable {
        public let policy: IplistPolicy
        let stamps: [FileStamp]
    }

    /// Reads every file and builds the policy. Any error (missing file, bad line) fails the
    /// whole load: half a list is never put in force.
    public func load() throws(ListError) -> Loaded {
        var builder = IPList.Builder()
        for (prefix, action) in inline { builder.add(prefix, action) }
        var stamps: [FileStamp] = []
        for (paths, action) in [(allowFiles, ListAction.allow), (denyFiles, .deny)] {
            for path in paths {
                let (bytes, stamp) = try ListFile.read(path)
                try ListParser.parse(bytes, source: path, action: action, into: &builder)
                stamps.append(stamp)
            }
        }
        return Loaded(policy: IplistPolicy(list: IPList(builder), defaultAction: defaultAction), stamps: stamps)
    }

    var files: [String] { allowFiles + denyFiles }

    /// The files' stamps now (nil for one that cannot be stat'ed), in `load()`'s order.
    func currentStamps() -> [FileStamp?] { files.map(FileStamp.current) }
}
