import PortcullisProtocol

/// Parses `Authorization` once per request (RFC 9110 §11.6.2, RFC 7617, RFC 6750).
///
/// Every failure is a `.malformed` credential, never a crash: the stack still runs, and the
/// plugin that owns the scheme answers `malformed_credentials` with its challenge.
enum AuthorizationParser {
    static func parse(_ request: AuthRequest) -> Credential {
        var found: String? = nil
        for header in request.headers where header.name.equalsIgnoringASCIICase("Authorization") {
            // Two credentials in one request is invalid_request (RFC 6750 §3.1).
            guard found == nil else { return .malformed(scheme: "", problem: "more than one Authorization header") }
            found = header.value
        }
        return found.map(parse) ?? .none
    }

    static func parse(_ header: String) -> Credential {
        var header = header
        var credential = header.withUTF8(parseValue)
        credential.headerLength = header.utf8.count
        return credential
    }

    /// By index into the value's own bytes: this runs on every request, and the copies, slices
    /// and reversed arrays it used to make were a fifth of the host's fixed cost (callgrind).
    private static func parseValue(_ bytes: UnsafeBufferPointer<UInt8>) -> Credential {
        func isWhitespace(_ byte: UInt8) -> Bool { byte == .space || byte == .tab }
        var start = bytes.startIndex
        while start < bytes.endIndex, isWhitespace(bytes[start]) { start += 1 }
        var schemeEnd = start
        while schemeEnd < bytes.endIndex, !isWhitespace(bytes[schemeEnd]) { schemeEnd += 1 }
        let schemeBytes = bytes[start..<schemeEnd]
        guard !schemeBytes.isEmpty, schemeBytes.allSatisfy(isTokenByte) else {
            return .malformed(scheme: "", problem: "no valid auth-scheme")
        }
        let scheme = String(decoding: schemeBytes, as: UTF8.self)
        var credentialsStart = schemeEnd
        while credentialsStart < bytes.endIndex, isWhitespace(bytes[credentialsStart]) { credentialsStart += 1 }
        var credentialsEnd = bytes.endIndex
        while credentialsEnd > credentialsStart, isWhitespace(bytes[credentialsEnd - 1]) { credentialsEnd -= 1 }
        let credentials = bytes[credentialsStart..<credentialsEnd]

        if ASCIICaseInsensitive.equal(schemeBytes, "basic".utf8) {
            return parseBasic(scheme: scheme, credentials)
        }
        if ASCIICaseInsensitive.equal(schemeBytes, "bearer".utf8) {
            guard isToken68(credentials) else { return .malformed(scheme: scheme, problem: "the token is not token68") }
            return Credential(kind: .bearer, scheme: scheme, token: Array(credentials))
        }
        return Credential(kind: .other, scheme: scheme, token: Array(credentials))
    }

    /// RFC 7617: base64 of `user-id ":" password`, split on the first colon; neither part may
    /// contain control characters.
    private static func parseBasic(scheme: String, _ encoded: Slice<UnsafeBufferPointer<UInt8>>) -> Credential {
        guard !encoded.isEmpty else { return .malformed(scheme: scheme, problem: "no credentials after Basic") }
        guard let decoded = Base64.decode(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: encoded)), alphabet: .standard, padding: .required) else {
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
    private static func isToken68(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[end - 1] == UInt8(ascii: "=") { end -= 1 }
        guard end > bytes.startIndex else { return false }
        return bytes[..<end].allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"): true
            default: isAlphaNumeric(byte)
            }
        }
    }

    /// tchar (RFC 9110 §5.6.2).
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            isAlphaNumeric(byte)
        }
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
