public import PortcullisPluginKit
import Synchronization

/// The policy in force, replaced whole when a list file changes.
///
/// Checks only take a short lock to pick up the current policy; the expensive part of a
/// reload (reading and compiling a file) runs outside that lock, then the new policy is
/// swapped in at once. A file that fails to load leaves the previous policy in force and
/// is reported once per change, with file and line, through the host's log.
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

    private struct Current {
        var policy: IplistPolicy
        var stamps: [FileStamp]
    }

    private let sources: ListSources
    private let host: PluginHost
    private let current: Mutex<Current>
    /// Held for a whole reload so two never interleave; remembers the stamps of the last
    /// failed attempt so one broken file is logged once, not at every poll.
    private let reloading = Mutex<[FileStamp?]?>(nil)

    /// Loads every list; an error here fails the instance's creation.
    public init(sources: ListSources, host: PluginHost = .none) throws(ListError) {
        let loaded = try sources.load()
        self.sources = sources
        self.host = host
        current = Mutex(Current(policy: loaded.policy, stamps: loaded.stamps))
    }

    /// The policy in force now.
    public var policy: IplistPolicy { current.withLock { $0.policy } }

    /// Whether there are files to watch at all.
    public var hasFiles: Bool { !sources.files.isEmpty }

    /// Re-reads the list files if any of them changed (mtime, size or inode).
    @discardableResult
    public func reloadIfChanged() -> ReloadResult {
        reloading.withLock { lastFailure in
            let stamps = sources.currentStamps()
            let inForce = current.withLock { $0.stamps }
            if stamps == inForce.map(Optional.some) || stamps == lastFailure { return .unchanged }
            do throws(ListError) {
                let loaded = try sources.load()
                // A file rewritten in place while we read it may have been read half-way.
                guard sources.currentStamps() == loaded.stamps.map(Optional.some) else { return .changing }
                current.withLock { $0 = Current(policy: loaded.policy, stamps: loaded.stamps) }
                lastFailure = nil
                host.log(.info, "iplist: reloaded \(loaded.policy.list.entryCount) entries from \(sources.files.joined(separator: ", "))")
                return .reloaded
            } catch {
                lastFailure = stamps
                host.log(.error, "iplist: keeping the previous lists: \(error)")
                return .failed(error)
            }
        }
    }
}
