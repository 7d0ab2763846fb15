public import Crypto
import PortcullisCrypto

/// One symmetric key from the key set, bound to exactly one algorithm (RFC 8725 §3.1).
///
/// `@unchecked Sendable` because swift-crypto marks neither `SymmetricKey` nor its hash
/// functions Sendable; both are immutable values here (copy-on-write state only ever copied).
public struct HmacKey: @unchecked Sendable {
    public let kid: String
    public let algorithm: HmacAlgorithm
    public let secret: SymmetricKey
    /// The HMAC states after absorbing the padded key, computed once: each verification
    /// starts from copies (as reusing an OpenSSL `HMAC_CTX` does) instead of re-keying.
    private let keyed: Keyed

    private enum Keyed {
        case hs256(PrekeyedHMAC<SHA256>)
        case hs384(PrekeyedHMAC<SHA384>)
        case hs512(PrekeyedHMAC<SHA512>)
    }

    /// - Precondition: the caller checked the length (``KeySet`` does, with a file and line).
    public init(kid: String, algorithm: HmacAlgorithm, secret: SymmetricKey) {
        self.kid = kid
        self.algorithm = algorithm
        self.secret = secret
        switch algorithm {
        case .hs256: keyed = .hs256(PrekeyedHMAC(key: secret))
        case .hs384: keyed = .hs384(PrekeyedHMAC(key: secret))
        case .hs512: keyed = .hs512(PrekeyedHMAC(key: secret))
        }
    }

    /// Whether `mac` is this key's MAC of `input`, compared in constant time.
    public func isValid(_ mac: [UInt8], for input: UnsafeRawBufferPointer) -> Bool {
        switch keyed {
        case .hs256(let state): state.isValid(mac, for: input)
        case .hs384(let state): state.isValid(mac, for: input)
        case .hs512(let state): state.isValid(mac, for: input)
        }
    }
}

extension HmacKey: CustomStringConvertible {
    /// Never the secret: keys end up in error messages and logs.
    public var description: String { "HmacKey(kid: \(kid), alg: \(algorithm.rawValue), \(secret.bitCount) bits)" }
}
