#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Synchronization

/// Settled changes in the directories that hold a file: inotify on each DIRECTORY (not on the
/// file), so a file rewritten in place, replaced by a rename (editors, `mv`, a Kubernetes
/// ConfigMap's `..data` symlink swap) or deleted and recreated is seen alike; the file's own
/// watch would follow the old inode away on a rename.
///
/// Debounced: after an event the directories must stay quiet for `quiet` (or, while events keep
/// coming, `longest` must pass) before one change is reported, so a save in several writes is one
/// change. Which file changed is not decided here: the caller compares the file's bytes.
///
/// Written on Glibc's inotify, on a thread of its own blocked in poll(2): no package on this
/// machine wraps inotify, and a blocking wait must not hold a Swift concurrency thread. Polling
/// the file's stamp would cost a wake-up per interval and still miss a change within one.
final class ConfigWatchEvents: Sendable {
    let path: String
    private let inotify: Int32
    /// A pipe whose write end wakes the thread to stop; the thread closes every descriptor.
    private let wake: (read: Int32, write: Int32)
    private let quiet: Duration
    private let longest: Duration
    private let logger: Logger
    /// Watched directories and their watch descriptors; only the thread touches it after `init`.
    private let watches = Mutex<[String: Int32]>([:])
    /// Set when the thread has closed the descriptors: `stop()` must not write to a number the
    /// process may have reused since.
    private let closed = Mutex(false)

    /// Watches the directories of `path` and, when `path` is a symbolic link, of the file it
    /// resolves to. Throws when inotify cannot start (a limit such as `fs.inotify.max_user_watches`).
    init(path: String, quiet: Duration, longest: Duration, logger: Logger) throws(WatchError) {
        self.path = path
        self.quiet = quiet
        self.longest = longest
        self.logger = logger
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard inotify >= 0 else { throw WatchError(path: path, call: "inotify_init1", errno: errno) }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            let failure = errno
            close(inotify)
            throw WatchError(path: path, call: "pipe", errno: failure)
        }
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        wake = (ends[0], ends[1])
        if let failure = refreshWatches() {
            close(inotify)
            close(wake.read)
            close(wake.write)
            throw failure
        }
    }

    struct WatchError: Error, CustomStringConvertible {
        let path: String
        let call: String
        let errno: Int32
        var description: String { "server.watch: cannot watch \(path): \(call): \(String(cString: strerror(errno)))" }
    }

    /// The directories to watch now: the path's own, and its resolved target's (which changes
    /// when a symbolic link is swapped).
    private var directories: [String] {
        let own = (path as NSString).deletingLastPathComponent
        var result = [own.isEmpty ? "." : own]
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            let target = (String(cString: resolved) as NSString).deletingLastPathComponent
            if !result.contains(target) { result.append(target) }
        }
        return result
    }

    /// Watches what `directories` names now and drops what it no longer names. The path's own
    /// directory must be watchable (the error); a resolved target's directory may be gone.
    @discardableResult
    private func refreshWatches() -> WatchError? {
        let wanted = directories
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_ONLYDIR)
        return watches.withLock { watches -> WatchError? in
            for (directory, descriptor) in watches where !wanted.contains(directory) {
                inotify_rm_watch(inotify, descriptor)
                watches[directory] = nil
            }
            for (position, directory) in wanted.enumerated() {
                // Adding a watched directory again returns its descriptor: cheap, and it re-arms one
                // that was removed and made anew.
                let descriptor = inotify_add_watch(inotify, directory, mask)
                if descriptor >= 0 {
                    watches[directory] = descriptor
                } else if position == 0 {
                    return WatchError(path: directory, call: "inotify_add_watch", errno: errno)
                } else {
                    watches[directory] = nil
                }
            }
            return nil
        }
    }

    /// One element per settled change, until `stop()`. Buffers at most one: changes that come
    /// while the caller is still reloading make one more reload, not a queue of them.
    func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        continuation.onTermination = { [self] _ in stop() }
        let thread = Thread { [self] in
            waitForChanges { continuation.yield() }
            continuation.finish()
        }
        thread.name = "portcullis-config-watch"
        thread.start()
        return stream
    }

    /// Wakes the thread to stop; it closes the descriptors. Calling it again does nothing more.
    func stop() {
        closed.withLock { closed in
            guard !closed else { return }
            var byte: UInt8 = 1
            _ = write(wake.write, &byte, 1)
        }
    }

    private func waitForChanges(_ changed: () -> Void) {
        defer {
            closed.withLock { closed in
                closed = true
                close(inotify)
                close(wake.read)
                close(wake.write)
            }
        }
        let clock = ContinuousClock()
        var firstEvent: ContinuousClock.Instant?
        while true {
            var timeout: Int32 = -1
            if let firstEvent {
                let left = min(quiet, longest - (clock.now - firstEvent))
                timeout = Int32(max(0, left / .milliseconds(1)).rounded(.up))
            }
            var descriptors = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                logger.error("config watch stopped: poll failed", metadata: ["file": "\(path)", "errno": "\(errno)"])
                return
            }
            if descriptors[1].revents != 0 { return }
            if descriptors[0].revents != 0 {
                drainEvents()
                if firstEvent == nil { firstEvent = clock.now }
            }
            guard let started = firstEvent, ready == 0 || clock.now - started >= longest else { continue }
            firstEvent = nil
            // A swapped link may point into another directory now.
            if let failure = refreshWatches() {
                logger.warning("config watch: cannot watch a directory of the file", metadata: ["error": "\(failure)"])
            }
            changed()
        }
    }

    /// Reads every pending event; their kinds and names do not matter (see the type's comment).
    private func drainEvents() {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while buffer.withUnsafeMutableBytes({ read(inotify, $0.baseAddress, $0.count) }) > 0 {}
    }
}
