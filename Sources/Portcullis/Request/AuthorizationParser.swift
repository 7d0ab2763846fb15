import PortcullisProtocol

/// Parses `Authorization` once per request (RFC 9110 §11.6.2, RFC 7617, RFC 6750).
///
/// Every failure is a `.malformed` credential, never a crash: the stack still runs, and the
/// plugin that owns the scheme answers `malformed_credentials` with its challenge.
enum AuthorizationParser {
    static func parse(_ request: AuthRequest) -> Credential {
        let values = request.values(of: "Authorization")
        guard let value = values.first else { return .none }
        // Two credentials in one request is invalid_request (RFC 6750 §3.1).
        guard values.count == 1 else { return .malformed(scheme: "", problem: "more than one Authorization header") }
        return parse(value)
    }

    static func parse(_ header: String) -> Credential {
        var credential = parseValue(header)
        credential.headerLength = header.utf8.count
        return credential
    }

    private static func parseValue(_ header: String) -> Credential {
        let bytes = Array(header.utf8)
        let trimmed = bytes.drop { $0 == .space || $0 == .tab }
        let schemeBytes = trimmed.prefix { $0 != .space && $0 != .tab }
        let rest = Array(trimmed.dropFirst(schemeBytes.count).drop { $0 == .space || $0 == .tab })
        let scheme = String(decoding: schemeBytes, as: UTF8.self)
        guard !schemeBytes.isEmpty, schemeBytes.allSatisfy(isTokenByte) else {
            return .malformed(scheme: "", problem: "no valid auth-scheme")
        }
        let credentials = Array(rest.reversed().drop { $0 == .space || $0 == .tab }.reversed())

        switch scheme.lowercased() {
        case "basic":
            return parseBasic(scheme: scheme, credentials)
        case "bearer":
            guard isToken68(credentials) else { return .malformed(scheme: scheme, problem: "the token is not token68") }
            return Credential(kind: .bearer, scheme: scheme, token: credentials)
        default:
            return Credential(kind: .other, scheme: scheme, token: credentials)
        }
    }

    /// RFC 7617: base64 of `user-id ":" password`, split on the first colon; neither part may
    /// contain control characters.
    private static func parseBasic(scheme: String, _ encoded: [UInt8]) -> Credential {
        guard !encoded.isEmpty else { return .malformed(scheme: scheme, problem: "no credentials after Basic") }
        guard let decoded = Base64.decode(encoded, alphabet: .standard, padding: .required) else {
            return .malformed(scheme: scheme, problem: "the credentials are not valid base64")
        }
        guard let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else {
            return .malformed(scheme: scheme, problem: "no colon between user-id and password")
        }
        let user = Array(decoded[..<colon])
        let password = Array(decoded[(colon + 1)...])
        guard !user.contains(where: isControl), !password.contains(where: isControl) else {
            return .malformed(scheme: scheme, problem: "control characters in the user-id or password")
        }
        return Credential(kind: .basic, scheme: scheme, user: user, password: password)
    }

    /// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    private static func isToken68(_ bytes: [UInt8]) -> Bool {
        let body = bytes.reversed().drop { $0 == UInt8(ascii: "=") }
        guard !body.isEmpty else { return false }
        return body.allSatisfy { isAlphaNumeric($0) || Array("-._~+/".utf8).contains($0) }
    }

    /// tchar (RFC 9110 §5.6.2).
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        isAlphaNumeric(byte) || Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
    }

    private static func isAlphaNumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    private static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }
}

extension UInt8 {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
}
