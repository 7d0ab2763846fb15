import Dispatch
import PortcullisPluginKit

/// Bounds how many PAM transactions run at once (`max_concurrent`); the rest wait, at most
/// `timeout`. A blocking counting semaphore is right here: the host calls this plugin only on its
/// blocking pool, never on an event loop, and PAM itself blocks anyway.
struct ConcurrencyLimit: @unchecked Sendable {
    // @unchecked: DispatchSemaphore is thread-safe but not annotated Sendable on Linux.
    private let semaphore: DispatchSemaphore
    let limit: Int
    let timeout: Duration

    init(limit: Int, timeout: Duration) {
        precondition(limit > 0, "a limit of at least one")
        self.semaphore = DispatchSemaphore(value: limit)
        self.limit = limit
        self.timeout = timeout
    }

    /// Runs `body` once a slot is free; nil when none became free within `timeout`.
    func run<T>(_ body: () -> T) -> T? {
        guard semaphore.wait(timeout: .now() + .nanoseconds(Int(clamping: timeout.nanoseconds))) == .success else { return nil }
        defer { semaphore.signal() }
        return body()
    }
}
