import Dispatch
import Synchronization
import PortcullisProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Marks each file's look queue, so that `deinit` can tell it runs on it.
private let lookQueueKey = DispatchSpecificKey<ObjectIdentifier>()

/// A value loaded from a file (or from several files loaded together) and reloaded when a file
/// changes, so passwords, keys and lists follow the disk without a restart.
///
/// Two ways to notice a change, and neither does file I/O on the request path:
/// - `current()` on the request path: a lock and a clock read. At most once per `interval` it
///   schedules a look at the files on this file's own background queue and returns the value in
///   force; what the look loads is served from the following calls. A file that hangs (a FIFO put
///   in its place, a stalled network file system) can stall only that queue, never a request.
/// - `reloadIfChanged()`, synchronous, from a timer of the plugin's own (with `value` on the
///   request path), or wherever waiting is fine.
///
/// A change is a different `FileStamp` (device, inode, size, modification or change time). The
/// bytes are read with `FileSnapshot.read`, so the stamp kept is that of the version read. A
/// version that cannot be read or loaded (anything but a regular file, too) leaves the previous
/// value in force (fail safe, never open) and is reported once, not at every look; the next
/// change is tried again. A file that changes while it is being read is not put in force
/// half-read: it is tried again next time.
///
/// Releasing a `WatchedFile` waits for a look in progress, and no look starts after it: `report`
/// may log through the host, which frees its log callback once the instance is destroyed.
///
/// ```swift
/// let users = try WatchedFile(path: path, interval: .seconds(1), report: { change in
///     if case .failed(let error, _) = change { host.log(.error, "keeping the previous users: \(error)") }
/// }) { snapshot in try UserTable(snapshot.bytes, file: snapshot.path) }
/// ...
/// let table = users.current()
/// ```
public final class WatchedFile<Value: Sendable>: Sendable {
    /// What a look at the files found.
    public enum Reload: Sendable {
        /// No file changed since the last load or the last failed attempt.
        case unchanged
        /// The files changed and this new value is in force.
        case reloaded(Value)
        /// A file changed while it was being read: nothing changed, tried again next time.
        case changing
        /// The files changed but do not read or load; `keeping` stays in force.
        /// The error is a `FileReadError` or whatever `load` threw.
        case failed(any Error, keeping: Value)
    }

    /// The files, in the order `load` receives them.
    public var paths: [String] { core.paths }
    private let core: Core
    /// Runs the looks `current()` schedules, one at a time, off the request path.
    private let queue = DispatchQueue(label: "portcullis.watched-file")

    /// Reads and loads the files now; a failure here is a configuration error and is thrown.
    ///
    /// - Parameters:
    ///   - paths: the files, read in this order and loaded together: a failure in any one keeps
    ///     the previous value, so part of a change is never put in force alone.
    ///   - interval: least time between two looks scheduled by `current()`; zero schedules one
    ///     whenever none is pending; nil never schedules one (the files are read once, unless
    ///     the plugin calls `reloadIfChanged()`). `reloadIfChanged()` always looks.
    ///   - maximumSize: the largest file accepted, in bytes.
    ///   - report: told of every `.reloaded` and `.failed` (once per change), on the thread that
    ///     looked; log from here. Never log file contents: they may be secrets.
    ///   - load: makes the value from the files' snapshots, one per path; throws for a bad file.
    ///     Name the file (`snapshot.path`) and line in the error.
    public init(
        paths: [String], interval: Duration?, maximumSize: Int = FileSnapshot.defaultMaximumSize,
        report: @escaping @Sendable (Reload) -> Void = { _ in },
        load: @escaping @Sendable ([FileSnapshot]) throws -> Value
    ) throws {
        core = try Core(paths: paths, interval: interval, maximumSize: maximumSize, report: report, load: load)
        queue.setSpecific(key: lookQueueKey, value: ObjectIdentifier(core))
    }

    /// A value loaded from one file.
    public convenience init(
        path: String, interval: Duration?, maximumSize: Int = FileSnapshot.defaultMaximumSize,
        report: @escaping @Sendable (Reload) -> Void = { _ in },
        load: @escaping @Sendable (FileSnapshot) throws -> Value
    ) throws {
        try self.init(paths: [path], interval: interval, maximumSize: maximumSize, report: report) { snapshots in
            try load(snapshots[0])
        }
    }

    deinit {
        core.stop()
        // Wait for a look in progress. The queue holds the core, never self, so this runs on the
        // queue only if `report` or `load` kept the plugin that owns this file alive; then the
        // look in progress is this very call's caller, and waiting would deadlock.
        guard DispatchQueue.getSpecific(key: lookQueueKey) != ObjectIdentifier(core) else { return }
        queue.sync {}
    }

    /// The value in force, without looking at the files (for callers that reload on a timer).
    public var value: Value { core.value }

    /// The value from the newest good version of the files loaded so far. When `interval` has
    /// passed since the last look, schedules the next one in the background; never waits for it.
    public func current() -> Value {
        let (value, due) = core.claimLook()
        if due { queue.async { [core] in core.scheduledLook() } }
        return value
    }

    /// How many new versions have been put in force since the first load (0 until the first
    /// reload): a plugin's `generation` (ABI 1.1), so the host's cache drops answers made from an
    /// older version at once. Like `current()`, schedules a look when one is due, without I/O:
    /// a cache hit calls no `check`, so this is what notices a change while answers are cached.
    public var generation: UInt64 {
        let (generation, due) = core.claimGeneration()
        if due { queue.async { [core] in core.scheduledLook() } }
        return generation
    }

    /// Looks at the files now, on the calling thread, and reloads them if any changed; waits for
    /// a look in progress.
    @discardableResult
    public func reloadIfChanged() -> Reload {
        core.reloadIfChanged()
    }

    /// The state, shared with the background queue (which must not keep the `WatchedFile` itself).
    private final class Core: Sendable {
        let paths: [String]
        /// Nanoseconds; nil: looks are never scheduled.
        private let interval: Int64?
        private let maximumSize: Int
        private let load: @Sendable ([FileSnapshot]) throws -> Value
        private let report: @Sendable (Reload) -> Void

        private struct InForce {
            var value: Value
            var nextLook: Int64
            var lookScheduled = false
            var stopped = false
            var generation: UInt64 = 0
        }

        private let inForce: Mutex<InForce>
        /// The stamps of the last attempt, good or bad (nil for a file that could not be stat'ed).
        /// Held for a whole reload, so two reloads never interleave.
        private let lastSeen: Mutex<[FileStamp?]>

        init(paths: [String], interval: Duration?, maximumSize: Int, report: @escaping @Sendable (Reload) -> Void,
             load: @escaping @Sendable ([FileSnapshot]) throws -> Value) throws {
            let snapshots = try paths.map { path throws(FileReadError) in try FileSnapshot.read(path, maximumSize: maximumSize) }
            let value = try load(snapshots)
            self.paths = paths
            // Past ~146 years: never look again (bounded so that `now + interval` cannot overflow).
            self.interval = interval.map { min(max(0, $0.nanoseconds), Int64.max / 2) }
            self.maximumSize = maximumSize
            self.load = load
            self.report = report
            inForce = Mutex(InForce(value: value, nextLook: Self.now() + (self.interval ?? 0)))
            lastSeen = Mutex(snapshots.map(\.stamp))
        }

        var value: Value { inForce.withLock { $0.value } }

        /// The value in force, and whether the caller must schedule a look (due, none pending).
        func claimLook() -> (Value, Bool) {
            claim { $0.value }
        }

        /// The generation in force, and whether the caller must schedule a look.
        func claimGeneration() -> (UInt64, Bool) {
            claim { $0.generation }
        }

        private func claim<T>(_ read: (InForce) -> T) -> (T, Bool) {
            let now = Self.now()
            return inForce.withLock { state in
                guard let interval, now >= state.nextLook, !state.lookScheduled, !state.stopped else { return (read(state), false) }
                state.nextLook = now + interval
                state.lookScheduled = true
                return (read(state), true)
            }
        }

        func scheduledLook() {
            guard !inForce.withLock({ $0.stopped }) else { return }
            _ = reloadIfChanged()
            inForce.withLock { $0.lookScheduled = false }
        }

        func stop() {
            inForce.withLock { $0.stopped = true }
        }

        func reloadIfChanged() -> Reload {
            lastSeen.withLock { lastSeen in reload(&lastSeen) }
        }

        private func reload(_ lastSeen: inout [FileStamp?]) -> Reload {
            let seen = stamps()
            guard seen != lastSeen else { return .unchanged }
            let result: Reload
            do {
                let snapshots = try paths.map { path throws(FileReadError) in try FileSnapshot.read(path, maximumSize: maximumSize) }
                let value = try load(snapshots)
                let read: [FileStamp?] = snapshots.map(\.stamp)
                // Rewritten in place while read, or one of several replaced meanwhile: may be torn.
                guard stamps() == read else { return .changing }
                inForce.withLock { state in
                    state.value = value
                    state.generation &+= 1
                }
                lastSeen = read
                result = .reloaded(value)
            } catch {
                // A file caught half-written fails to parse, yet is no operator's mistake.
                guard stamps() == seen else { return .changing }
                lastSeen = seen
                result = .failed(error, keeping: self.value)
            }
            report(result)
            return result
        }

        private func stamps() -> [FileStamp?] {
            paths.map { FileStamp(path: $0) }
        }

        /// Nanoseconds on a coarse monotonic clock: cheap enough to read on every request.
        private static func now() -> Int64 {
            var now = timespec()
            #if os(Linux)
            clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
            #else
            clock_gettime(CLOCK_MONOTONIC, &now)
            #endif
            return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        }
    }
}
