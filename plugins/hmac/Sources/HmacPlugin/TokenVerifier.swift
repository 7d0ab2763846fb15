import PortcullisPluginKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Verifies JWS compact tokens signed with HMAC (RFC 7515, RFC 7519), in the order RFC 8725
/// asks for: split and decode strictly, pick the key by `kid`, require the header's `alg`
/// to be the key's, verify the MAC in constant time, and only then read the claims.
///
/// Pure: the keys, revocations and clock come in as arguments, so the plugin stays a thin
/// adapter and tests can pin the time.
public struct TokenVerifier: Sendable {
    public let policy: TokenPolicy

    public init(policy: TokenPolicy) {
        self.policy = policy
    }

    /// Verifies `token` at `now` (seconds since 1970, as in `exp`).
    public func verify(_ token: String, keys: KeySet, revoked: RevocationList? = nil, now: Double) -> Result<VerifiedToken, TokenRejection> {
        var token = token
        return token.withUTF8 { verify(UnsafeRawBufferPointer($0), keys: keys, revoked: revoked, now: now) }
    }

    /// Verifies the token bytes (as the host passes them: no `Bearer ` prefix) at `now`.
    public func verify(_ token: UnsafeRawBufferPointer, keys: KeySet, revoked: RevocationList? = nil, now: Double) -> Result<VerifiedToken, TokenRejection> {
        do {
            return .success(try verifyThrowing(token, keys: keys, revoked: revoked, now: now))
        } catch {
            return .failure(error)
        }
    }

    private func verifyThrowing(_ token: UnsafeRawBufferPointer, keys: KeySet, revoked: RevocationList?, now: Double) throws(TokenRejection) -> VerifiedToken {
        // 1. Split and decode, strictly, before anything else looks at the bytes.
        guard token.count <= policy.maxLength else { throw .malformed("longer than \(policy.maxLength) bytes") }
        guard let first = Self.dot(in: token, from: 0) else { throw .malformed("fewer than three parts") }
        guard let second = Self.dot(in: token, from: first + 1) else { throw .malformed("fewer than three parts") }
        guard Self.dot(in: token, from: second + 1) == nil else { throw .malformed("more than three parts") }
        let dots = (first, second)
        let signingInput = UnsafeRawBufferPointer(rebasing: token[0..<dots.1])
        guard let headerBytes = Self.decode(token[0..<dots.0]), !headerBytes.isEmpty else {
            throw .malformed("header is not base64url without padding")
        }
        guard let payloadBytes = Self.decode(token[(dots.0 + 1)..<dots.1]) else {
            throw .malformed("payload is not base64url without padding")
        }
        guard let signature = Self.decode(token[(dots.1 + 1)...]) else {
            throw .malformed("signature is not base64url without padding")
        }
        guard case .object(let header)? = try? JSONValue.parse(headerBytes) else {
            throw .malformed("header is not a JSON object")
        }
        guard case .string(let alg)? = header["alg"] else { throw .malformed("header has no alg") }
        let kid: String?
        switch header["kid"] {
        case nil: kid = nil
        case .string(let value)?: kid = value
        default: throw .malformed("kid is not a string")
        }
        // We implement no JWS extensions, so any critical one must be refused (RFC 7515 §4.1.11).
        guard header["crit"] == nil else { throw .malformed("unsupported crit header parameter") }

        // 2. The key by kid; its algorithm, never the token's, decides how to verify.
        guard let key = keys.key(for: kid) else { throw .unknownKey }
        guard alg == key.algorithm.rawValue else { throw .algorithmMismatch }

        // 3. The MAC, in constant time.
        guard signature.count == key.algorithm.outputSize,
            key.isValid(signature, for: signingInput)
        else { throw .badSignature }

        // 4. Only now read the claims.
        guard case .object(let claims)? = try? JSONValue.parse(payloadBytes) else {
            throw .malformed("claims are not a JSON object")
        }
        return try check(claims, key: key, revoked: revoked, now: now)
    }

    private func check(_ claims: JSONObject, key: HmacKey, revoked: RevocationList?, now: Double) throws(TokenRejection) -> VerifiedToken {
        let leeway = policy.leeway
        // exp is always required: a token that never expires cannot be cached safely or rotated out.
        let exp = try number("exp", in: claims, required: true) ?? 0
        guard now < exp + leeway else { throw .expired(at: exp) }
        var validUntil = exp
        if let nbf = try number("nbf", in: claims, required: false), now + leeway < nbf {
            throw .notYetValid
        }
        if let iat = try number("iat", in: claims, required: policy.maxAge != nil) {
            guard iat <= now + leeway else { throw .issuedInFuture }
            if let maxAge = policy.maxAge {
                guard now - iat <= maxAge + leeway else { throw .tooOld(at: iat + maxAge) }
                validUntil = min(validUntil, iat + maxAge)
            }
        }
        if let issuer = policy.issuer {
            guard let iss = claims["iss"] else { throw .missingClaim("iss") }
            guard iss.stringValue == issuer else { throw .wrongIssuer }
        }
        if let aud = claims["aud"] {
            // A string or an array of strings (RFC 7519 §4.1.3); one match is enough.
            var matched = false
            switch aud {
            case .string(let value): matched = policy.audiences.contains(value)
            case .array(let values):
                for value in values {
                    guard let text = value.stringValue else { throw .invalidClaim("aud") }
                    matched = matched || policy.audiences.contains(text)
                }
            default: throw .invalidClaim("aud")
            }
            guard matched else { throw .wrongAudience }
        } else if !policy.audiences.isEmpty {
            throw .missingClaim("aud")
        }
        for name in policy.requiredClaims where claims[name] == nil {
            throw .missingClaim(name)
        }
        let subject = claims["sub"]?.stringValue
        if claims["sub"] != nil, subject == nil || subject?.isEmpty == true { throw .invalidClaim("sub") }
        if policy.requireSubject, subject == nil { throw .missingClaim("sub") }
        // Checked with or without a revocation list, so adding one never starts refusing tokens.
        if let value = claims["jti"] {
            guard let jti = TokenID.text(of: value) else { throw .invalidClaim("jti") }
            if let revoked, !revoked.ids.isEmpty, revoked.contains(jti) { throw .revoked }
        }
        var attributes = policy.exposedClaims.compactMap { name in
            claims[name].flatMap(Self.attributeText).map { Attribute(name, $0) }
        }
        attributes += try DerivedAttributes(groupsClaim: policy.groupsClaim, rolesClaim: policy.rolesClaim).attributes(from: claims)
        let remaining = (validUntil - now).rounded(.down)
        return VerifiedToken(
            subject: subject, kid: key.kid, algorithm: key.algorithm, claims: claims, attributes: attributes,
            remainingLifetime: remaining > 0 ? Int(min(remaining, Double(Int32.max))) : 0)
    }

    /// A NumericDate claim (RFC 7519 §2): a JSON number, never a string or a boolean.
    private func number(_ name: String, in claims: JSONObject, required: Bool) throws(TokenRejection) -> Double? {
        guard let value = claims[name] else {
            if required { throw .missingClaim(name) }
            return nil
        }
        guard let number = value.numberValue else { throw .invalidClaim(name) }
        return number
    }

    /// The index of the next `.` at or after `start` (memchr: the token is scanned at SIMD speed).
    private static func dot(in token: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < token.count, let base = token.baseAddress,
            let hit = memchr(base + start, Int32(UInt8(ascii: ".")), token.count - start)
        else { return nil }
        return base.distance(to: UnsafeRawPointer(hit))
    }

    private static func decode(_ part: Slice<UnsafeRawBufferPointer>) -> [UInt8]? {
        Base64.decode(UnsafeRawBufferPointer(rebasing: part), alphabet: .url, padding: .forbidden)
    }

    /// A claim as an attribute value: strings as they are, arrays of scalars comma-separated,
    /// other values as compact JSON; null is left out.
    static func attributeText(_ value: JSONValue) -> String? {
        switch value {
        case .null: nil
        case .string(let text): text
        case .array(let values) where values.allSatisfy({ $0.arrayValue == nil && $0.objectValue == nil }):
            values.map { $0.stringValue ?? $0.serialized }.joined(separator: ",")
        default: value.serialized
        }
    }
}
