internal import CPortcullisPlugin

/// The kind of credential the host parsed from `Authorization` (the ABI's `PC_CREDENTIAL_*`).
public enum CredentialKind: UInt32, Sendable, CaseIterable {
    case none = 0
    case basic = 1
    case bearer = 2
    case other = 3
    case malformed = 4

    public var name: String {
        switch self {
        case .none: "none"
        case .basic: "basic"
        case .bearer: "bearer"
        case .other: "other"
        case .malformed: "malformed"
        }
    }
}
