public import PortcullisNetwork
public import PortcullisProtocol

/// One decision: allow with a principal, or deny with a reason, plus everything a response,
/// a log line or a diagnosis needs. Produced by a stack; mapped to HTTP in one place
/// (``ResponsePolicy``).
public struct Outcome: Sendable {
    public enum Decision: String, Sendable {
        case allow
        case deny
    }

    public package(set) var decision: Decision
    /// Why a deny happened; nil on allow.
    public package(set) var reason: ReasonCode?
    /// The HTTP status this outcome maps to: written by ``ResponsePolicy/stamped(_:)`` only
    /// (`[server] allow_status` on allow, the reason's status on deny).
    public package(set) var status: Int = 0
    public package(set) var principal: String?
    public package(set) var attributes: [Attribute]
    /// Every `WWW-Authenticate` challenge offered by the entries that ran, in stack order.
    public package(set) var challenges: [String]
    public package(set) var trace: [TraceStep]
    public package(set) var stack: String
    /// The resolved client address and how it was found.
    public package(set) var client: IPAddress?
    public package(set) var clientSource: ClientAddressResolver.Source
    public var clientNote: String { clientSource.description }
    /// The credential's kind and scheme (and a Basic user-id), never the secret.
    public package(set) var credential: Credential.Summary
    /// How the decision was reached when no entry decided it.
    public package(set) var note: String?
    /// The longest failure delay a plugin asked for (PAM's fail delay), applied by the way in.
    public package(set) var failDelay: Duration
    /// The smallest cache hint of the allows that counted, in seconds; nil = no hint.
    public package(set) var cacheTTL: Int?
    /// The entry whose result became the stack's status: the last allow that counted, or the
    /// failure that was kept. nil when the host decided (nothing decided, no principal, a host failure).
    public package(set) var decidedBy: Int? = nil
    /// The longest time a deny's plugins said the same request may succeed again (a lock's time
    /// left, ABI 1.2 `retry_after_s`): `Retry-After` on a `locked_out` answer. Never slept.
    public package(set) var retryAfter: Duration? = nil
    /// The plugins to tell how this decision ended (ABI 1.1 `observe`); nil when none observes.
    package var observation: Observation? = nil

    public var isAllowed: Bool { decision == .allow }
}

extension Outcome {
    /// A deny decided around a stack, not by it: the blocking pool is full or too slow
    /// (`backend_unavailable` → 503), or something failed (`plugin_error` → 500). Never an allow.
    /// Its status is the policy's to write (``Gatekeeper/hostFailure(_:stack:note:)`` does both).
    static func hostFailure(_ reason: ReasonCode, stack: String, note: String) -> Outcome {
        Outcome(
            decision: .deny, reason: reason, principal: nil, attributes: [],
            challenges: [], trace: [], stack: stack, client: nil, clientSource: .notResolved, credential: .notParsed,
            note: note, failDelay: .zero, cacheTTL: nil)
    }
}
