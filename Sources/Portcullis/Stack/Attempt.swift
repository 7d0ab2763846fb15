/// What a way in gets from a decision that must not block: the outcome, or — when a blocking
/// plugin has to be called because its answer is not in the cache — the work left for a pool
/// thread, carrying the answers already in hand so no plugin runs twice for one request.
package enum Attempt: Sendable {
    case decided(Outcome)
    case needsBlocking(PendingDecision)

    /// The outcome when no blocking plugin had to be called.
    package var outcome: Outcome? {
        if case .decided(let outcome) = self { return outcome }
        return nil
    }
}

/// A decision that needs a blocking plugin: finish it off the event loop with
/// ``Gatekeeper/finish(_:)``.
package struct PendingDecision: Sendable {
    let stack: Stack
    let request: PreparedRequest
    let answered: Stack.Answered
}
