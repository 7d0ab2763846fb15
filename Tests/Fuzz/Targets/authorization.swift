@testable import Portcullis
import PortcullisProtocol

// The Authorization header (RFC 9110 §11.6.2, RFC 7617 Basic, RFC 6750 Bearer), as the host
// parses it once per request: Sources/Portcullis/Request/AuthorizationParser.swift.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let header = text(start, count) else { return 0 }
    checkAuthorization(header)
    return 0
}

func checkAuthorization(_ header: String) {
    let credential = AuthorizationParser.parse(header)
    require(credential.headerLength == header.utf8.count, "headerLength is not the header's length")
    let bytes = Array(header.utf8)
    let isOWS = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
    let trimmed = Array(bytes.drop(while: isOWS).reversed().drop(while: isOWS).reversed())
    let schemeBytes = Array(trimmed.prefix { !isOWS($0) })
    let rest = Array(trimmed.dropFirst(schemeBytes.count).drop(while: isOWS))

    switch credential.kind {
    case .none:
        require(false, "a header value never parses as no credential")
    case .basic:
        // RFC 7617: the credentials re-encode to exactly the bytes sent (canonical base64).
        require(Array(credential.scheme.utf8) == schemeBytes && credential.scheme.lowercased() == "basic", "Basic scheme not as sent")
        let joined = credential.user + [UInt8(ascii: ":")] + credential.password
        require(Array(Base64.encode(joined, alphabet: .standard, padding: .required).utf8) == rest,
                "Basic credentials do not re-encode to the bytes sent")
        require(!credential.user.contains(UInt8(ascii: ":")), "the user-id holds a colon (split must be on the first)")
        let isControl = { (byte: UInt8) in byte < 0x20 || byte == 0x7F }
        require(!credential.user.contains(where: isControl) && !credential.password.contains(where: isControl), "control character accepted")
        require(credential.token.isEmpty, "Basic credential with a token")
        // The summary that logs show never carries the password.
        if credential.password.count >= 6, let password = String(validating: credential.password, as: UTF8.self),
           !String(decoding: credential.user, as: UTF8.self).contains(password) {
            require(!credential.summary.description.contains(password), "the password is in the log summary")
        }
    case .bearer:
        require(credential.scheme.lowercased() == "bearer" && Array(credential.scheme.utf8) == schemeBytes, "Bearer scheme not as sent")
        require(credential.token == rest, "the Bearer token is not the bytes after the scheme")
        let body = credential.token.reversed().drop { $0 == UInt8(ascii: "=") }
        require(!body.isEmpty && body.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "-._~+/".utf8.contains(byte)
        }, "a Bearer token that is not token68 was accepted")
        require(credential.user.isEmpty && credential.password.isEmpty, "Bearer credential with a user or password")
        // The summary that logs show is the token's length, never the token.
        require(credential.summary.description == "Bearer (\(credential.token.count) bytes)", "the log summary of a Bearer token")
    case .other:
        require(Array(credential.scheme.utf8) == schemeBytes, "other scheme not as sent")
        require(!["basic", "bearer"].contains(credential.scheme.lowercased()), "Basic or Bearer read as another scheme")
        require(credential.token == rest, "other scheme's value is not the rest of the header")
    case .malformed:
        // Nothing secret survives a refusal: it may be logged.
        require(credential.user.isEmpty && credential.password.isEmpty && credential.token.isEmpty, "a malformed credential keeps bytes")
    }
    // Parsing twice gives the same answer (no hidden state).
    require(AuthorizationParser.parse(header) == credential, "parsing is not deterministic")
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    runPrintModeIfAsked { fields in
        let credential = AuthorizationParser.parse(fields.first ?? "")
        switch credential.kind {
        case .basic: return "basic\t\(String(decoding: credential.user, as: UTF8.self))\t\(String(decoding: credential.password, as: UTF8.self))"
        case .bearer: return "bearer\t\(String(decoding: credential.token, as: UTF8.self))"
        case .other: return "other\t\(credential.scheme)"
        case .malformed: return "malformed"
        case .none: return "none"
        }
    }
    return 0
}
