internal import CPortcullisPlugin

/// What one plugin says about one request (the ABI's `PC_VERDICT_*`).
public enum Verdict: UInt32, Sendable, CaseIterable {
    /// Zero in the ABI, so an unfilled result is an error, never an allow.
    case error = 0
    case allow = 1
    case deny = 2
    case ignore = 3

    /// Maps an ABI number; nil when out of range (which the host treats as an error).
    public init?(abi value: UInt32) {
        guard value < PC_VERDICT_COUNT else { return nil }
        self.init(rawValue: value)
    }

    public var name: String {
        switch self {
        case .allow: "allow"
        case .deny: "deny"
        case .ignore: "ignore"
        case .error: "error"
        }
    }
}
