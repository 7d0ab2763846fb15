public import Crypto

/// One symmetric key from the key set, bound to exactly one algorithm (RFC 8725 §3.1).
///
/// `@unchecked Sendable` because swift-crypto marks neither `SymmetricKey` nor `HMAC`
/// Sendable; both are immutable values here (copy-on-write state that is only ever copied).
public struct HmacKey: @unchecked Sendable {
    public let kid: String
    public let algorithm: HmacAlgorithm
    public let secret: SymmetricKey
    /// The HMAC state after absorbing the padded key, computed once: each verification
    /// starts from a copy (as reusing an OpenSSL `HMAC_CTX` does) instead of re-keying.
    private let keyed: Keyed

    private enum Keyed {
        case hs256(HMAC<SHA256>)
        case hs384(HMAC<SHA384>)
        case hs512(HMAC<SHA512>)
    }

    /// - Precondition: the caller checked the length (``KeySet`` does, with a file and line).
    public init(kid: String, algorithm: HmacAlgorithm, secret: SymmetricKey) {
        self.kid = kid
        self.algorithm = algorithm
        self.secret = secret
        switch algorithm {
        case .hs256: keyed = .hs256(HMAC(key: secret))
        case .hs384: keyed = .hs384(HMAC(key: secret))
        case .hs512: keyed = .hs512(HMAC(key: secret))
        }
    }

    /// Whether `mac` is this key's MAC of `input`. The comparison is swift-crypto's
    /// constant-time `==` between a MAC and bytes.
    public func isValid(_ mac: [UInt8], for input: UnsafeRawBufferPointer) -> Bool {
        switch keyed {
        case .hs256(var state):
            state.update(data: input)
            return state.finalize() == mac
        case .hs384(var state):
            state.update(data: input)
            return state.finalize() == mac
        case .hs512(var state):
            state.update(data: input)
            return state.finalize() == mac
        }
    }
}

extension HmacKey: CustomStringConvertible {
    /// Never the secret: keys end up in error messages and logs.
    public var description: String { "HmacKey(kid: \(kid), alg: \(algorithm.rawValue), \(secret.bitCount) bits)" }
}
