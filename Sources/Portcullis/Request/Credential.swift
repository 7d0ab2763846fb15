public import PortcullisProtocol

/// The credential in a request's `Authorization` header, parsed once by the host.
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

    init(kind: CredentialKind, scheme: String, user: [UInt8] = [], password: [UInt8] = [], token: [UInt8] = [], problem: String? = nil) {
        self.kind = kind
        self.scheme = scheme
        self.user = user
        self.password = password
        self.token = token
        self.problem = problem
    }

    static func malformed(_ scheme: String, _ problem: String) -> Credential {
        Credential(kind: .malformed, scheme: scheme, problem: problem)
    }

    /// What may be shown of this credential: never the password or the token.
    public var summary: Summary {
        Summary(kind: kind, scheme: scheme, user: kind == .basic ? user : [], tokenLength: token.count, headerLength: headerLength, problem: problem)
    }

    /// A credential for logs and traces: kind, scheme, Basic user-id; rendered only when read.
    public struct Summary: Sendable, Equatable, CustomStringConvertible {
        var kind: CredentialKind?
        var scheme: String
        var user: [UInt8]
        var tokenLength: Int
        var headerLength: Int
        var problem: String?

        /// For decisions made before the request was parsed.
        public static let notParsed = Summary(kind: nil, scheme: "", user: [], tokenLength: 0, headerLength: 0, problem: nil)

        /// Schemes whose name may be shown (IANA's HTTP Authentication Scheme Registry, plus NTLM and
        /// AWS's). Any other first word may be the secret itself (`Authorization: hunterhunter`):
        /// only the value's length is shown then.
        static let registeredSchemes: Set<String> = [
            "basic", "bearer", "concealed", "digest", "dpop", "gnap", "hoba", "mutual", "negotiate", "oauth",
            "privatetoken", "scram-sha-1", "scram-sha-256", "vapid", "ntlm", "aws4-hmac-sha256",
        ]

        public var description: String {
            switch kind {
            case nil: "not parsed"
            case .none?: "none"
            case .basic?: "Basic user=\"\(LogText.escaped(String(decoding: user, as: UTF8.self)))\""
            case .bearer?: "Bearer (\(tokenLength) bytes)"
            case .other? where Self.registeredSchemes.contains(scheme.lowercased()): "\(scheme) (unsupported here, \(headerLength) bytes)"
            case .other?: "an unrecognized Authorization value (\(headerLength) bytes)"
            case .malformed?: "malformed \(scheme.isEmpty ? "Authorization" : scheme): \(problem ?? "unparsable")"
            }
        }
    }
}
