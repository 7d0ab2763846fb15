internal import CPortcullisPlugin

/// Why a request was refused: one closed list shared by every plugin and the host.
///
/// The raw values are the ABI's `PC_REASON_*` numbers; the names are the stable codes
/// that appear in problem bodies, logs, metrics and configuration (`[status]`).
public enum ReasonCode: UInt32, Sendable, CaseIterable, Codable {
    case missingCredentials = 1
    case malformedCredentials = 2
    case unsupportedScheme = 3
    case invalidCredentials = 4
    case expiredCredentials = 5
    case revokedCredentials = 6
    case accountExpired = 7
    case lockedOut = 8
    case ipNotAllowed = 9
    case csrfFailed = 10
    case insufficientPermissions = 11
    case pluginError = 12
    case backendUnavailable = 13

    /// Maps an ABI number; nil for `PC_REASON_NONE` and anything out of range.
    public init?(abi value: UInt32) {
        guard value < PC_REASON_COUNT else { return nil }
        self.init(rawValue: value)
    }

    /// The stable snake_case code, e.g. `invalid_credentials`.
    public var code: String {
        switch self {
        case .missingCredentials: "missing_credentials"
        case .malformedCredentials: "malformed_credentials"
        case .unsupportedScheme: "unsupported_scheme"
        case .invalidCredentials: "invalid_credentials"
        case .expiredCredentials: "expired_credentials"
        case .revokedCredentials: "revoked_credentials"
        case .accountExpired: "account_expired"
        case .lockedOut: "locked_out"
        case .ipNotAllowed: "ip_not_allowed"
        case .csrfFailed: "csrf_failed"
        case .insufficientPermissions: "insufficient_permissions"
        case .pluginError: "plugin_error"
        case .backendUnavailable: "backend_unavailable"
        }
    }

    /// Parses a stable code (`"ip_not_allowed"`).
    public init?(code: String) {
        guard let match = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = match
    }

    /// Whether sending (other) credentials could change the answer: the 401 family.
    public var credentialsCouldHelp: Bool {
        switch self {
        case .missingCredentials, .malformedCredentials, .unsupportedScheme, .invalidCredentials,
            .expiredCredentials, .revokedCredentials, .accountExpired, .lockedOut:
            true
        case .ipNotAllowed, .csrfFailed, .insufficientPermissions, .pluginError, .backendUnavailable:
            false
        }
    }

    public init(from decoder: any Decoder) throws {
        let code = try decoder.singleValueContainer().decode(String.self)
        guard let reason = ReasonCode(code: code) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown reason code \(code)"))
        }
        self = reason
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}
