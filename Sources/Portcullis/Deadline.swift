import Synchronization

/// Races work that cannot be interrupted (a plugin call on a pool thread) against a deadline.
package enum Deadline {
    /// The result of `work`, or nil when `timeout` passes first. `work` runs in its own task and is
    /// never abandoned half-way: after a timeout it finishes in the background and its result is
    /// dropped (a task group would instead wait for it, which is what the deadline must not do).
    package static func race<T: Sendable>(_ timeout: Duration, _ work: @escaping @Sendable () async -> T) async -> T? {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let answer = FirstAnswer(continuation)
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { answer.resume(nil) }
            }
            Task {
                answer.resume(await work())
                timer.cancel()
            }
        }
    }
}

/// Resumes a continuation with whichever answer comes first; later ones are dropped.
private final class FirstAnswer<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T?, Never>?>

    init(_ continuation: CheckedContinuation<T?, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ value: T?) {
        continuation.withLock { pending in
            pending?.resume(returning: value)
            pending = nil
        }
    }
}
