import Crypto
import PortcullisCrypto
#if canImport(Glibc)
import Glibc
#endif
import PortcullisNetwork

/// A cache key: HMAC-SHA256, under a random key made per cache (so per process and per reload),
/// of everything a cacheable plugin's answer may depend on (PC_PLUGIN_CACHEABLE: the credential
/// and the client address) plus the entry it came from and that plugin's data generation.
///
/// Keyed, so the table never holds a value an attacker could precompute or that reveals a
/// password: the table stores digests only. HMAC rather than SipHash: the digest is the key
/// itself (no stored credential to compare), so it must be collision resistant, not just
/// flood resistant.
struct CacheKey: Hashable, Sendable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    static func == (lhs: CacheKey, rhs: CacheKey) -> Bool {
        lhs.words == rhs.words
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
    }

    /// Under a fresh HMAC state for `key` (what ``make(state:entry:generation:credential:client:)``
    /// computes from a state keyed once).
    static func make(key: SymmetricKey, entry: String, generation: UInt64, credential: Credential, client: IPAddress?) -> CacheKey {
        make(state: PrekeyedHMAC<SHA256>(key: key), entry: entry, generation: generation, credential: credential, client: client)
    }

    /// Length-prefixed fields, so no two different inputs share an encoding. `state` holds the
    /// HMAC states after the key blocks, made once per cache: callgrind on the daemon showed the
    /// key setup (two extra SHA-256 blocks and an allocation) as over half of this function's
    /// cost, which was the largest part of deciding a cached request. Copied, never mutated.
    ///
    /// The fields go into one temporary buffer sized up front and reach the MAC in one update,
    /// and the client address as its bytes, not its text: the growing array, the per-field
    /// copies and `IPAddress.description` were two thirds of this function (callgrind again).
    /// For the same reason the generation is its eight bytes, and the scheme is lower-cased in
    /// the buffer (schemes are case-insensitive, RFC 9110 §11.1), not through a new String.
    static func make(state: PrekeyedHMAC<SHA256>, entry: String, generation: UInt64, credential: Credential, client: IPAddress?) -> CacheKey {
        let address = client?.bytes ?? []
        let lengthSize = MemoryLayout<UInt64>.size
        let size = 8 * lengthSize + entry.utf8.count + lengthSize + 1 + credential.scheme.utf8.count + credential.user.count
            + credential.password.count + credential.token.count + address.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: size) { buffer in
            var fields = FieldWriter(buffer: buffer)
            fields.append(entry.utf8)
            withUnsafeBytes(of: generation.littleEndian) { fields.append($0) }
            fields.append(CollectionOfOne(UInt8(truncatingIfNeeded: credential.kind.rawValue)))
            fields.append(credential.scheme.utf8, asciiLowercased: true)
            fields.append(credential.user)
            fields.append(credential.password)
            fields.append(credential.token)
            fields.append(address)
            let key = state.withAuthenticationCode(for: UnsafeRawBufferPointer(buffer)) { raw in
                func word(_ at: Int) -> UInt64 { UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
                return CacheKey(words: (word(0), word(8), word(16), word(24)))
            }
            // The buffer held the password: do not leave it in memory that is reused. explicit_bzero,
            // because a plain store to memory that dies right after may be optimized away.
            if let base = buffer.baseAddress { explicit_bzero(base, size) }
            return key
        }
    }
}

/// Writes length-prefixed fields into a buffer sized for them. A struct with a mutating method,
/// not a nested function that captures the position: a captured `var` lives in a box whose every
/// access is checked for exclusivity at run time (`swift_beginAccess`, about 1.2 k instructions
/// per cache key in callgrind).
private struct FieldWriter {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var used = 0

    mutating func append(_ bytes: some Collection<UInt8>, asciiLowercased: Bool = false) {
        withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { length in
            used += UnsafeMutableBufferPointer(rebasing: buffer[used...]).initialize(fromContentsOf: length)
        }
        let start = used
        used += UnsafeMutableBufferPointer(rebasing: buffer[used...]).initialize(fromContentsOf: bytes)
        if asciiLowercased {
            for index in start..<used where (0x41...0x5A).contains(buffer[index]) { buffer[index] |= 0x20 }
        }
    }
}
