import NIOPosix
public import ServiceLifecycle
import Synchronization

/// Runs blocking stacks (PAM, crypt) off the event loops on a fixed set of threads, and refuses
/// work beyond `threads + queue` at once instead of queueing without limit: an overloaded
/// daemon answers 503 with `Retry-After` quickly rather than letting every request time out.
///
/// NIOThreadPool has no queue bound of its own; the in-flight count here is that bound.
/// A `Service`: run it (or the ``DecisionRuntime`` that owns it) in a service group, and its
/// threads stop at graceful shutdown.
public final class BlockingPool: Service, Sendable {
    public let threads: Int
    public let queue: Int
    private let pool: NIOThreadPool
    private let inFlight = Atomic<Int>(0)

    public init(threads: Int, queue: Int) {
        self.threads = threads
        self.queue = queue
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    /// Work running or waiting now.
    public var load: Int { inFlight.load(ordering: .relaxed) }

    public enum Failure: Error {
        /// `threads + queue` checks are already running or waiting.
        case full
        /// The pool is shutting down.
        case stopped
    }

    /// Runs `body` on a pool thread, or fails at once with `.full`.
    public func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws(Failure) -> T {
        let admitted = inFlight.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        defer { inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
        guard admitted <= threads + queue else { throw .full }
        do {
            return try await pool.runIfActive(body)
        } catch {
            throw .stopped
        }
    }

    /// Runs `body` on a pool thread later, without waiting and outside the bound: for work owed
    /// exactly once for a decision already admitted (telling blocking plugins how it ended), which
    /// must not be refused and must not delay the answer. Dropped if the pool is shutting down.
    public func submit(_ body: @escaping @Sendable () -> Void) {
        pool.submit { state in
            if case .active = state { body() }
        }
    }

    /// Runs until graceful shutdown, then stops the threads (work in flight finishes first).
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
