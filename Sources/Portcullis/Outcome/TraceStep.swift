/// One entry's part in a decision, for logs and `portcullis check`. Never holds a secret:
/// `detail` is the plugin's log detail, which plugins must keep free of credentials.
public struct TraceStep: Sendable, Equatable {
    public var index: Int
    public var plugin: String
    public var control: String
    /// `allow`, `deny`, `ignore`, `error`, or `invalid(N)` for an out-of-range verdict.
    public var verdict: String
    public var reason: String?
    /// What the control made of it: ok, done, bad, die, ignore, reset.
    public var action: String
    public var micros: Double
    public var challenge: String?
    public var detail: String?
    /// The answer came from the verification cache; the plugin was not called.
    public var cached = false
}
