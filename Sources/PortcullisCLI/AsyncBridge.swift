import Dispatch

/// The command line is synchronous; the runtime is async. Runs `body` in a task and parks the
/// calling thread until it is done (never on an executor thread: the main thread of a command).
func waitFor<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let result = ResultBox<T>()
    Task {
        do {
            result.value = .success(try await body())
        } catch {
            result.value = .failure(error)
        }
        done.signal()
    }
    done.wait()
    return try result.value.get()
}

/// Carries the task's result to the parked thread (written before the semaphore is signalled).
private final class ResultBox<T>: @unchecked Sendable {
    var value: Result<T, any Error> = .failure(CancellationError())
}
