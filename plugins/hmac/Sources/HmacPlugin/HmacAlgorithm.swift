public import Crypto

/// The JWS HMAC algorithms (RFC 7518 §3.2). `none` and every non-HMAC algorithm are absent
/// on purpose: a key names one of these, and a token's `alg` must equal its key's.
public enum HmacAlgorithm: String, Sendable, CaseIterable {
    case hs256 = "HS256"
    case hs384 = "HS384"
    case hs512 = "HS512"

    /// The MAC size in bytes, which is also the shortest key accepted (RFC 7518 §3.2, RFC 8725 §3.5).
    public var outputSize: Int {
        switch self {
        case .hs256: SHA256.byteCount
        case .hs384: SHA384.byteCount
        case .hs512: SHA512.byteCount
        }
    }

    /// The MAC of `input` under `key`.
    public func authenticationCode(for input: UnsafeRawBufferPointer, using key: SymmetricKey) -> [UInt8] {
        switch self {
        case .hs256: Array(HMAC<SHA256>.authenticationCode(for: input, using: key))
        case .hs384: Array(HMAC<SHA384>.authenticationCode(for: input, using: key))
        case .hs512: Array(HMAC<SHA512>.authenticationCode(for: input, using: key))
        }
    }
}
