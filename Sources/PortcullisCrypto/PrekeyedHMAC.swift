package import Crypto

#if canImport(Glibc)
import Glibc
#endif

/// HMAC (RFC 2104) as two hash states keyed once, the inner after `K ⊕ ipad` and the outer
/// after `K ⊕ opad`; a MAC then costs a copy of each, the message and the inner digest.
///
/// Composed here from swift-crypto's hash functions, not taken from its `HMAC`, because that
/// type keeps only the inner state: every `finalize()` hashes the outer key block again, and
/// its byte-generic `update(data:)` and `==` run unspecialized from another module (callgrind:
/// 23 k of a token's 53 k instructions went to the MAC that way, issue 16). OpenSSL's `HMAC_CTX`
/// keeps both states the same way. The hmac plugin verifies tokens with it and the host makes
/// its cache keys with it. `PrekeyedHMACTests` holds it to swift-crypto's `HMAC` and to RFC
/// 4231's vectors.
///
/// The MAC itself is `@inlinable`, so each caller gets it specialized for its hash function; a
/// generic called across modules otherwise runs through the runtime's generic metadata.
package struct PrekeyedHMAC<H: HashFunction> {
    @usableFromInline let inner: H
    @usableFromInline let outer: H

    package init(key: SymmetricKey) {
        // The key, or its hash when longer than a block (RFC 2104 §2), zero-padded to a block.
        // Written into one buffer of the final size, so no copy of the key is left unerased.
        var block = [UInt8](repeating: 0, count: H.blockByteCount)
        key.withUnsafeBytes { key in
            if key.count > H.blockByteCount {
                var hasher = H()
                hasher.update(bufferPointer: key)
                hasher.finalize().withUnsafeBytes { block.replaceSubrange(0..<$0.count, with: $0) }
            } else {
                block.replaceSubrange(0..<key.count, with: key)
            }
        }
        var inner = H()
        var outer = H()
        for index in block.indices { block[index] ^= 0x36 }
        block.withUnsafeBytes { inner.update(bufferPointer: $0) }
        for index in block.indices { block[index] ^= 0x36 ^ 0x5C }
        block.withUnsafeBytes { outer.update(bufferPointer: $0) }
        // explicit_bzero: a plain store of zeros before the free could be optimized away.
        block.withUnsafeMutableBytes { if let base = $0.baseAddress { explicit_bzero(base, $0.count) } }
        self.inner = inner
        self.outer = outer
    }

    /// The MAC of `input`, passed to `body` (it lives only as long as the call).
    @inlinable
    package func withAuthenticationCode<Result>(for input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        var inner = self.inner
        inner.update(bufferPointer: input)
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize().withUnsafeBytes(body)
    }

    /// Whether `mac` is the MAC of `input`, compared in time that depends only on the lengths.
    @inlinable
    package func isValid(_ mac: [UInt8], for input: UnsafeRawBufferPointer) -> Bool {
        withAuthenticationCode(for: input) { constantTimeEquals($0, mac) }
    }
}
