public import PortcullisPluginKit

/// The policy in force, replaced whole when a list file changes.
///
/// Checks only take a short lock to pick up the current policy. The files are looked at only
/// by `reloadIfChanged()`, from the plugin's background timer, never on the request path.
/// All files load together (`WatchedFile` in the SDK): a file that fails to load leaves the
/// previous policy in force and is reported once per change, with file and line, through
/// the host's log.
public final class ReloadingPolicy: Sendable {
    public enum ReloadResult: Equatable, Sendable {
        /// No file changed since the last load (or since the last failed attempt).
        case unchanged
        /// The files changed and the new lists are in force.
        case reloaded
        /// A file changed while it was being read: tried again next time.
        case changing
        /// The files changed but do not load; the previous lists stay in force.
        case failed(ListError)
    }

    private let sources: ListSources
    private let watched: WatchedFile<IplistPolicy>

    /// Loads every list; an error here fails the instance's creation.
    public init(sources: ListSources, host: PluginHost = .none) throws(ListError) {
        self.sources = sources
        let files = sources.files.joined(separator: ", ")
        do {
            // Interval zero: `current()` is never called, the timer decides when to look.
            watched = try WatchedFile(paths: sources.files, interval: .zero, maximumSize: ListSources.maximumFileSize, report: { change in
                switch change {
                case .reloaded(let policy): host.log(.info, "iplist: reloaded \(policy.list.entryCount) entries from \(files)")
                case .failed(let error, _): host.log(.error, "iplist: keeping the previous lists: \(ListError(error))")
                case .unchanged, .changing: break
                }
            }) { snapshots throws(ListError) in try sources.policy(from: snapshots) }
        } catch {
            throw ListError(error)
        }
    }

    /// The policy in force now.
    public var policy: IplistPolicy { watched.value }

    /// Whether there are files to watch at all.
    public var hasFiles: Bool { !sources.files.isEmpty }

    /// Re-reads the list files if any of them changed (device, inode, size, mtime or ctime).
    @discardableResult
    public func reloadIfChanged() -> ReloadResult {
        switch watched.reloadIfChanged() {
        case .unchanged: .unchanged
        case .reloaded: .reloaded
        case .changing: .changing
        case .failed(let error, _): .failed(ListError(error))
        }
    }
}
