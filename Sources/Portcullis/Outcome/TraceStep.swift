public import PortcullisProtocol

/// One entry's part in a decision, for logs and `portcullis check`. Never holds a secret:
/// `detail` is the plugin's log detail, which plugins must keep free of credentials.
/// Typed underneath; the text forms are what `check` and the logs print.
public struct TraceStep: Sendable, Equatable {
    public let index: Int
    public let plugin: String
    public let control: Control
    /// What the plugin answered, checked against the ABI's lists.
    public let answer: Answer
    /// The reason this answer would give if it decided a deny.
    public let reasonCode: ReasonCode?
    /// What the control made of it.
    public let taken: Action
    public let micros: Double
    public let challenge: String?
    public let detail: String?
    /// The answer came from the verification cache; the plugin was not called.
    public let cached: Bool

    /// A plugin's answer as the dispatcher saw it.
    public enum Answer: Sendable, Equatable {
        case verdict(Verdict)
        /// A verdict, or a reason, outside the ABI's closed lists (raw numbers as sent).
        case invalid(rawVerdict: UInt32, rawReason: UInt32)
    }

    /// `allow`, `deny`, `ignore`, `error`, `invalid(N)` for an out-of-range verdict, or
    /// `invalid(reason N)` for a reason outside the list.
    public var verdict: String {
        switch answer {
        case .verdict(let verdict): verdict.name
        case .invalid(let rawVerdict, let rawReason):
            Verdict(abi: rawVerdict) == nil ? "invalid(\(rawVerdict))" : "invalid(reason \(rawReason))"
        }
    }

    /// The reason's stable code.
    public var reason: String? { reasonCode?.code }

    /// ok, done, bad, die, ignore or reset.
    public var action: String { taken.rawValue }
}
