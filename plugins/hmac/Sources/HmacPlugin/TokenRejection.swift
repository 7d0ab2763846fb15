public import PortcullisPluginKit

/// Why a token was refused. Each case maps to one reason code and one RFC 6750 challenge;
/// `detail` is for operators' logs and never contains the token, a key, or a claim value other
/// than when the token expired (`expired_at=`, docs/reasons.md: `check` says how long ago).
public enum TokenRejection: Error, Equatable, Sendable {
    /// Not a JWS compact serialization we can read (parts, base64url, JSON, size).
    case malformed(String)
    /// No key with the token's `kid`, or no `kid` while the set has several keys.
    case unknownKey
    /// The header's `alg` is not the key's (this includes `none` and other families).
    case algorithmMismatch
    /// The MAC does not verify.
    case badSignature
    /// `exp` has passed (beyond the leeway); `at` is when (Unix seconds), for the operator's remedy.
    case expired(at: Double)
    case notYetValid
    /// `iat` is older than `max_age`; `at` is when it became too old (Unix seconds).
    case tooOld(at: Double)
    case issuedInFuture
    case wrongIssuer
    case wrongAudience
    case missingClaim(String)
    case invalidClaim(String)
    case revoked

    public var reason: ReasonCode {
        switch self {
        case .malformed: .malformedCredentials
        case .expired, .tooOld: .expiredCredentials
        case .revoked: .revokedCredentials
        case .unknownKey, .algorithmMismatch, .badSignature, .notYetValid, .issuedInFuture, .wrongIssuer,
            .wrongAudience, .missingClaim, .invalidClaim:
            .invalidCredentials
        }
    }

    /// The RFC 6750 `error_description`, safe to show a client (it says nothing about keys).
    public var errorDescription: String? {
        switch self {
        case .malformed: "The access token is malformed"
        case .expired, .tooOld: "The access token expired"
        case .revoked: "The access token was revoked"
        case .notYetValid, .issuedInFuture: "The access token is not yet valid"
        case .wrongAudience: "The access token is not meant for this audience"
        case .unknownKey, .algorithmMismatch, .badSignature, .wrongIssuer, .missingClaim, .invalidClaim: nil
        }
    }

    public var detail: String {
        switch self {
        case .malformed(let what): "malformed token: \(what)"
        case .unknownKey: "no key for the token's kid"
        case .algorithmMismatch: "the token's alg is not its key's alg"
        case .badSignature: "bad signature"
        case .expired(let at): "token expired (exp beyond leeway) expired_at=\(Int64(at))"
        case .notYetValid: "token not yet valid (nbf beyond leeway)"
        case .tooOld(let at): "token older than max_age (iat) expired_at=\(Int64(at))"
        case .issuedInFuture: "token issued in the future (iat beyond leeway)"
        case .wrongIssuer: "wrong issuer (iss)"
        case .wrongAudience: "wrong audience (aud)"
        case .missingClaim(let name): "missing claim \(name)"
        case .invalidClaim(let name): "invalid claim \(name)"
        case .revoked: "token revoked (jti)"
        }
    }
}
