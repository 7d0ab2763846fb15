/// A credential from a request's `Authorization` header, owning its bytes: what the host parses
/// once per request, and what a plugin's unit test hands ``RequestLayout`` through the SDK.
/// (A plugin's `check` reads the same fields without a copy, as the SDK's `CredentialView`.)
public struct Credential: Sendable, Equatable {
    public var kind: CredentialKind
    /// The scheme as sent (`Basic`, `bearer`, …); empty when none or unrecognizable.
    public var scheme: String
    /// Basic: the user-id bytes (before the first colon).
    public var user: [UInt8]
    /// Basic: the password bytes. Kept as bytes: never decoded with replacement characters.
    public var password: [UInt8]
    /// Bearer: the token; other schemes: the rest of the header.
    public var token: [UInt8]
    /// Why a malformed credential was refused, for the trace (never the credential itself).
    public var problem: String?
    /// Bytes in the `Authorization` value: all that may be shown of a value the host cannot parse.
    public var headerLength = 0

    public static let none = Credential(kind: .none, scheme: "")

    package init(kind: CredentialKind, scheme: String, user: [UInt8] = [], password: [UInt8] = [], token: [UInt8] = [], problem: String? = nil) {
        self.kind = kind
        self.scheme = scheme
        self.user = user
        self.password = password
        self.token = token
        self.problem = problem
    }

    /// RFC 7617 Basic: the user-id and the password bytes.
    public static func basic(user: [UInt8], password: [UInt8]) -> Credential {
        Credential(kind: .basic, scheme: "Basic", user: user, password: password)
    }

    /// A Basic credential from UTF-8 text.
    public static func basic(_ user: String, _ password: String) -> Credential {
        .basic(user: Array(user.utf8), password: Array(password.utf8))
    }

    /// RFC 6750 Bearer: the token.
    public static func bearer(token: [UInt8]) -> Credential {
        Credential(kind: .bearer, scheme: "Bearer", token: token)
    }

    /// A well-formed header of another scheme: the scheme and the rest of the header.
    public static func other(scheme: String, value: [UInt8]) -> Credential {
        Credential(kind: .other, scheme: scheme, token: value)
    }

    /// A header that could not be parsed; the scheme if one was recognizable.
    public static func malformed(scheme: String, problem: String? = nil) -> Credential {
        Credential(kind: .malformed, scheme: scheme, problem: problem)
    }
}
