public import Crypto

/// One symmetric key from the key set, bound to exactly one algorithm (RFC 8725 §3.1).
///
/// `@unchecked Sendable` because swift-crypto does not mark `SymmetricKey` Sendable; it is
/// an immutable value (copy-on-write bytes) and nothing here mutates it.
public struct HmacKey: @unchecked Sendable {
    public let kid: String
    public let algorithm: HmacAlgorithm
    public let secret: SymmetricKey

    /// - Precondition: the caller checked the length (``KeySet`` does, with a file and line).
    public init(kid: String, algorithm: HmacAlgorithm, secret: SymmetricKey) {
        self.kid = kid
        self.algorithm = algorithm
        self.secret = secret
    }
}

extension HmacKey: CustomStringConvertible {
    /// Never the secret: keys end up in error messages and logs.
    public var description: String { "HmacKey(kid: \(kid), alg: \(algorithm.rawValue), \(secret.bitCount) bits)" }
}
