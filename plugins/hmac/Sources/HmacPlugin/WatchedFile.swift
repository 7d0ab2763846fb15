public import PortcullisPluginKit
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value loaded from a file and reloaded when the file changes (inode, size or mtime),
/// so keys rotate and revocations apply without a restart.
///
/// - `current()` costs a lock and, at most once per `interval`, one `stat`. Only the
///   thread that finds the check due reads the file; others keep the old value meanwhile.
/// - A file that no longer parses keeps the previous value (fail safe, not open) and is
///   logged once per change. Log lines name the file and the parse error, never the content.
public final class WatchedFile<Value: Sendable>: Sendable {
    public let path: String
    private let what: String
    private let interval: Int64
    private let load: @Sendable (String) throws -> Value
    private let log: @Sendable (PluginHost.LogLevel, String) -> Void
    private let state: Mutex<State>

    private struct State {
        var value: Value
        var stamp: FileStamp?
        var nextCheck: Int64
    }

    /// Loads the file once; a failure here is a configuration error and is thrown.
    /// - Parameters:
    ///   - interval: seconds between checks for a change; 0 checks on every call.
    public init(path: String, what: String, interval: Int, log: @escaping @Sendable (PluginHost.LogLevel, String) -> Void, load: @escaping @Sendable (String) throws -> Value) throws {
        self.path = path
        self.what = what
        self.interval = Int64(interval)
        self.load = load
        self.log = log
        let stamp = FileStamp(path: path)
        let value = try load(path)
        state = Mutex(State(value: value, stamp: stamp, nextCheck: Self.monotonicSeconds() + Int64(interval)))
    }

    /// The value from the newest good version of the file.
    public func current() -> Value {
        let now = Self.monotonicSeconds()
        let (value, due) = state.withLock { state -> (Value, Bool) in
            guard now >= state.nextCheck else { return (state.value, false) }
            state.nextCheck = now + interval
            return (state.value, true)
        }
        guard due else { return value }
        return reloadIfChanged() ?? value
    }

    /// Re-reads the file if its stamp changed; returns the new value, or nil to keep the old one.
    @discardableResult
    public func reloadIfChanged() -> Value? {
        let stamp = FileStamp(path: path)
        let previous = state.withLock { $0.stamp }
        guard stamp != previous else { return nil }
        do {
            let value = try load(path)
            state.withLock {
                $0.value = value
                $0.stamp = stamp
            }
            log(.info, "reloaded \(what) from \(path)")
            return value
        } catch {
            // Remember the stamp so a bad file is reported once, not on every check.
            state.withLock { $0.stamp = stamp }
            log(.warning, "keeping the previous \(what): \(error)")
            return nil
        }
    }

    /// Seconds on a coarse monotonic clock: cheap enough to read on every request.
    static func monotonicSeconds() -> Int64 {
        var now = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
        #else
        clock_gettime(CLOCK_MONOTONIC, &now)
        #endif
        return Int64(now.tv_sec)
    }
}

/// What identifies a version of a file without reading it. A rename over the file
/// (the atomic way to replace it) changes the inode; an edit in place changes size or mtime.
struct FileStamp: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modified: Int64
    let modifiedNanoseconds: Int64

    /// nil when the file cannot be stat'ed (then it counts as changed, and the load reports why).
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if os(Linux)
        modified = Int64(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
        #else
        modified = Int64(info.st_mtimespec.tv_sec)
        modifiedNanoseconds = Int64(info.st_mtimespec.tv_nsec)
        #endif
    }
}
