public import PortcullisProtocol

extension Credential {
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
