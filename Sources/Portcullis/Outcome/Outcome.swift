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

    public var decision: Decision
    /// Why a deny happened; nil on allow.
    public var reason: ReasonCode?
    /// The HTTP status this outcome maps to (200 on allow).
    public var status: Int
    public var principal: String?
    public var attributes: [Attribute]
    /// Every `WWW-Authenticate` challenge offered by the entries that ran, in stack order.
    public var challenges: [String]
    public var trace: [TraceStep]
    public var stack: String
    /// The resolved client address and how it was found.
    public var client: IPAddress?
    public var clientSource: ClientAddressResolver.Source
    public var clientNote: String { clientSource.description }
    /// The credential's kind and scheme (and a Basic user-id), never the secret.
    public var credential: Credential.Summary
    /// How the decision was reached when no entry decided it.
    public var note: String?
    /// The longest failure delay a plugin asked for (PAM's fail delay), applied by the way in.
    public var failDelay: Duration
    /// The smallest cache hint of the allows that counted, in seconds; nil = no hint.
    public var cacheTTL: Int?
    /// The entry whose result became the stack's status: the last allow that counted, or the
    /// failure that was kept. nil when the host decided (nothing decided, no principal, a host failure).
    public var decidedBy: Int? = nil
    /// The plugins to tell how this decision ended (ABI 1.1 `observe`); nil when none observes.
    package var observation: Observation? = nil

    public var isAllowed: Bool { decision == .allow }
}

extension Outcome {
    /// A deny decided by a way in, not by a stack: the blocking pool is full
    /// (`backend_unavailable` → 503) or something failed around the stack (`plugin_error` → 500).
    /// Never an allow.
    public static func hostFailure(_ reason: ReasonCode, stack: String, note: String, policy: ResponsePolicy) -> Outcome {
        Outcome(
            decision: .deny, reason: reason, status: policy.status(for: reason, challenges: []), principal: nil, attributes: [],
            challenges: [], trace: [], stack: stack, client: nil, clientSource: .notResolved, credential: .notParsed,
            note: note, failDelay: .zero, cacheTTL: nil)
    }
}
