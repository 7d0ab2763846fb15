import Crypto
import PortcullisNetwork

/// A cache key: HMAC-SHA256, under a random key made per cache (so per process and per reload),
/// of everything a cacheable plugin's answer may depend on (PC_PLUGIN_CACHEABLE: the credential
/// and the client address) plus the entry it came from.
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

    /// Under a fresh HMAC state for `key` (what ``make(state:entry:credential:client:)`` computes
    /// from a state keyed once).
    static func make(key: SymmetricKey, entry: String, credential: Credential, client: IPAddress?) -> CacheKey {
        make(state: HMAC<SHA256>(key: key), entry: entry, credential: credential, client: client)
    }

    /// Length-prefixed fields, so no two different inputs share an encoding. `state` is the HMAC
    /// state after the key block, made once per cache: callgrind on the daemon showed the key
    /// setup (two extra SHA-256 blocks and an allocation) as over half of this function's cost,
    /// which was the largest part of deciding a cached request. Copied, never mutated.
    static func make(state: HMAC<SHA256>, entry: String, credential: Credential, client: IPAddress?) -> CacheKey {
        var input: [UInt8] = []
        input.reserveCapacity(96 + credential.user.count + credential.password.count + credential.token.count)
        func field(_ bytes: [UInt8]) {
            withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { input.append(contentsOf: $0) }
            input.append(contentsOf: bytes)
        }
        field(Array(entry.utf8))
        field([UInt8(truncatingIfNeeded: credential.kind.rawValue)])
        field(Array(credential.scheme.lowercased().utf8))
        field(credential.user)
        field(credential.password)
        field(credential.token)
        field(Array((client.map { "\($0)" } ?? "").utf8))
        var mac = state
        mac.update(data: input)
        let digest = Array(mac.finalize())
        // The input held the password: do not leave it in freed memory longer than needed.
        for index in input.indices { input[index] = 0 }
        func word(_ at: Int) -> UInt64 {
            digest[at..<(at + 8)].reduce(0) { $0 << 8 | UInt64($1) }
        }
        return CacheKey(words: (word(0), word(8), word(16), word(24)))
    }
}
