import Synchronization

/// The database did not answer within the store's timeout.
package struct PostgresStoreTimeout: Error, CustomStringConvertible {
    package let timeout: Duration
    package var description: String { "PostgreSQL did not answer within \(timeout)" }
}

/// Runs `operation` and answers within `timeout` whatever it does: with its result, its error or
/// `PostgresStoreTimeout`. Hand-written because a task group (and so `withTimeout`-style helpers)
/// waits for its children before returning, and a statement already sent on a connection ignores
/// cancellation until the server replies: a stopped-but-connected server (SIGSTOP, a dropped
/// network) would hang the caller. Here the operation runs in its own task, which is cancelled
/// and left to finish in the background when the deadline wins.
func withDeadline<Value: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let answer = OneAnswer<Value>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            answer.install(continuation)
            let work = Task {
                do {
                    answer.give(.success(try await operation()))
                } catch {
                    answer.give(.failure(error))
                }
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if answer.give(.failure(PostgresStoreTimeout(timeout: timeout))) { work.cancel() }
            }
            answer.onAnswer { work.cancel(); timer.cancel() }
        }
    } onCancel: {
        answer.give(.failure(CancellationError()))
    }
}

/// Resumes a continuation exactly once, whichever of the operation, the timer or the caller's
/// cancellation comes first.
private final class OneAnswer<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var early: Result<Value, any Error>?
        var done = false
        var cleanup: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<Value, any Error>) {
        let early = state.withLock { state -> Result<Value, any Error>? in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// Runs `cleanup` once an answer is given (at once if it already was).
    func onAnswer(_ cleanup: @escaping @Sendable () -> Void) {
        let already = state.withLock { state -> Bool in
            if state.done { return true }
            state.cleanup = cleanup
            return false
        }
        if already { cleanup() }
    }

    /// True when this was the answer; false when another came first.
    @discardableResult
    func give(_ result: Result<Value, any Error>) -> Bool {
        let (continuation, cleanup, taken) = state.withLock { state -> (CheckedContinuation<Value, any Error>?, (@Sendable () -> Void)?, Bool) in
            guard !state.done else { return (nil, nil, false) }
            state.done = true
            let continuation = state.continuation
            state.continuation = nil
            if continuation == nil { state.early = result }
            let cleanup = state.cleanup
            state.cleanup = nil
            return (continuation, cleanup, true)
        }
        continuation?.resume(with: result)
        cleanup?()
        return taken
    }
}
