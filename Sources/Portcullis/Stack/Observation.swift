internal import CPortcullisPlugin
import PortcullisProtocol

/// A decision to report to the plugins of its stack that observe decisions (ABI 1.1 `observe`):
/// lockout counters, audit. The way in delivers it once, after the decision and off the
/// request's path (``blocks``: on its pool), so an observer never changes or delays an answer.
/// A class: an ``Outcome`` carries one reference, and only when some entry observes.
package final class Observation: Sendable {
    let stack: Stack
    let request: PreparedRequest
    let allowed: Bool
    let reason: ReasonCode?
    let status: Int
    let decidedBy: Int?
    let principal: String?
    let attributes: [Attribute]

    init(stack: Stack, request: PreparedRequest, outcome: Outcome) {
        self.stack = stack
        self.request = request
        allowed = outcome.isAllowed
        reason = outcome.reason
        status = outcome.status
        decidedBy = outcome.decidedBy
        principal = outcome.principal
        attributes = outcome.attributes
    }

    /// Whether an observing plugin is flagged blocking: deliver on a pool, not an event loop.
    package var blocks: Bool { stack.observers.blocking }

    /// Calls `observe` of every observing instance in the stack, in stack order. Blocks when ``blocks``.
    package func deliver() {
        request.withCRequest(stack: stack.name) { cRequest in
            // Observers see the identity the whole stack established (none on a deny).
            var identity = IdentityLayout()
            identity.lay(principal: principal, attributes: attributes, into: cRequest)
            var decision = pc_decision()
            decision.struct_size = UInt32(MemoryLayout<pc_decision>.size)
            decision.verdict = allowed ? PC_VERDICT_ALLOW : PC_VERDICT_DENY
            decision.reason = reason?.rawValue ?? PC_REASON_NONE
            decision.status = UInt32(clamping: status)
            decision.decided_by = decidedBy.map { Int32(clamping: $0) } ?? -1
            decision.principal = cRequest.pointee.principal
            for (index, entry) in stack.entries.enumerated() where entry.plugin.observes {
                decision.entry = Int32(clamping: index)
                entry.instance.observe(cRequest, &decision)
            }
        }
    }
}
