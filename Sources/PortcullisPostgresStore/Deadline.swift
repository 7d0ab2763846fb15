import Portcullis

/// The database did not answer within the store's timeout.
package struct PostgresStoreTimeout: Error, CustomStringConvertible {
    package let timeout: Duration
    package var description: String { "PostgreSQL did not answer within \(timeout)" }
}

/// Runs `operation` and answers within `timeout` whatever it does: with its result, its error or
/// `PostgresStoreTimeout`. A statement already sent on a connection ignores cancellation until the
/// server replies, so a frozen server or a dropped network would hang a caller that waited for it
/// (as a task group does for its children): the host's `Deadline.race` runs it in its own task,
/// which is cancelled here and left to finish in the background when the deadline wins.
func withDeadline<Value: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let work = Task { try await operation() }
    let result = await withTaskCancellationHandler {
        await Deadline.race(timeout) { await work.result }
    } onCancel: {
        work.cancel()
    }
    guard let result else {
        work.cancel()
        throw PostgresStoreTimeout(timeout: timeout)
    }
    return try result.get()
}
