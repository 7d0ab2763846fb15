import PortcullisCrypto

/// One user's stored password hash, classified once when the file is loaded.
enum StoredHash: Sendable, Equatable {
    /// `!…`, `*…` or empty: the account cannot log in with a password.
    case locked
    /// A hash libxcrypt verifies: `$y$`, `$gy$`, `$7$`, `$2a$/$2b$/$2y$`, `$6$`, `$5$`, `$1$`, DES, …
    case crypt([UInt8])
    /// Apache `$apr1$` (see ``ApacheMD5``).
    case apacheMD5([UInt8])
    /// Apache `{SHA}` (see ``ApacheSHA1``).
    case apacheSHA1([UInt8])
    /// A plaintext password (`htpasswd -p`), only with `allow_plaintext = true`.
    case plaintext([UInt8])

    /// Classifies a stored hash; nil when it is none of the above (a malformed line). A value
    /// shaped like a hash this plugin cannot verify (`$argon2id$…`, `{SSHA}…`, `$`, `_…`) is never
    /// taken for a plaintext password: that would make the hash text itself the password.
    init?(_ stored: [UInt8], allowPlaintext: Bool) {
        if stored.isEmpty || stored.first == UInt8(ascii: "!") || stored.first == UInt8(ascii: "*") {
            self = .locked
        } else if stored.starts(with: ApacheMD5.magic) {
            guard ApacheMD5.salt(of: stored) != nil else { return nil }
            self = .apacheMD5(stored)
        } else if stored.starts(with: ApacheSHA1.prefix) {
            self = .apacheSHA1(stored)
        } else if Self.looksLikeCrypt(stored) && Libxcrypt.knowsMethod(of: stored) {
            self = .crypt(stored)
        } else if allowPlaintext && !Self.looksLikeHash(stored) {
            self = .plaintext(stored)
        } else {
            return nil
        }
    }

    /// Any hash format's shape: `$…` and `_…` (crypt(3) prefixes), `{SCHEME}…` (LDAP and Apache),
    /// or a complete-looking DES or BSDi hash.
    static func looksLikeHash(_ stored: [UInt8]) -> Bool {
        switch stored.first {
        case UInt8(ascii: "$"), UInt8(ascii: "_"): return true
        case UInt8(ascii: "{"): return stored.contains(UInt8(ascii: "}"))
        default: return looksLikeCrypt(stored)
        }
    }

    /// libxcrypt accepts any two salt characters as a DES setting, so `secret` (a plaintext password,
    /// or a typo) would pass for a hash: only complete-looking hashes count as crypt, that is
    /// `$id$…`, 13-character DES and 20-character BSDi.
    private static func looksLikeCrypt(_ stored: [UInt8]) -> Bool {
        let isCryptCharacter = { (byte: UInt8) in
            byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/") || (48...57).contains(byte)
                || (65...90).contains(byte) || (97...122).contains(byte)
        }
        switch stored.first {
        case UInt8(ascii: "$"): return true
        case UInt8(ascii: "_"): return stored.count == 20 && stored.dropFirst().allSatisfy(isCryptCharacter)
        default: return stored.count == 13 && stored.allSatisfy(isCryptCharacter)
        }
    }

    /// Whether `password` matches. Every comparison of computed and stored bytes is constant-time.
    func verify(_ password: some Collection<UInt8>) -> Bool {
        switch self {
        case .locked:
            return false
        case .crypt(let stored):
            guard let computed = Libxcrypt.crypt(password, setting: stored) else { return false }
            return constantTimeEquals(computed, stored)
        case .apacheMD5(let stored):
            guard let salt = ApacheMD5.salt(of: stored) else { return false }
            return constantTimeEquals(ApacheMD5.hash(password, salt: salt), stored)
        case .apacheSHA1(let stored):
            return constantTimeEquals(ApacheSHA1.hash(password), stored)
        case .plaintext(let stored):
            return constantTimeEquals(password, stored)
        }
    }

    /// The scheme and cost, without salt or checksum: entries with the same key cost the same to
    /// verify (`$2y$10$`, `$y$j9T$`, `$6$rounds=10000$`, `$apr1$`, `{SHA}`).
    var costKey: String {
        switch self {
        case .locked: return "locked"
        case .apacheMD5: return "$apr1$"
        case .apacheSHA1: return "{SHA}"
        case .plaintext: return "plaintext"
        case .crypt(let stored):
            let text = String(decoding: stored, as: UTF8.self)
            if text.hasPrefix("$2") { return String(text.prefix(7)) }  // $2y$10$ then salt and checksum, no `$`
            if text.hasPrefix("$7$") { return String(text.prefix(14)) }  // $7$ N r p (11 characters) then salt
            if text.hasPrefix("_") { return String(text.prefix(5)) }  // BSDi: _ and 4 characters of rounds
            if !text.hasPrefix("$") { return "des" }
            // $id$[params$]salt$checksum: drop the salt and the checksum.
            let fields = text.split(separator: "$", omittingEmptySubsequences: false)
            guard fields.count >= 4 else { return String(text.prefix(4)) }
            return fields.dropLast(2).joined(separator: "$") + "$"
        }
    }

    /// The scheme's common name, for logs and benchmarks.
    var schemeName: String {
        switch self {
        case .locked: return "locked"
        case .apacheMD5: return "apr1"
        case .apacheSHA1: return "sha1"
        case .plaintext: return "plaintext"
        case .crypt(let stored):
            let names: [(String, String)] = [
                ("$y$", "yescrypt"), ("$gy$", "gost-yescrypt"), ("$7$", "scrypt"), ("$2", "bcrypt"),
                ("$6$", "sha512crypt"), ("$5$", "sha256crypt"), ("$1$", "md5crypt"), ("$md5", "sunmd5"),
                ("$sha1$", "sha1crypt"), ("$3$", "nt"), ("_", "bsdicrypt"),
            ]
            let text = String(decoding: stored, as: UTF8.self)
            return names.first { text.hasPrefix($0.0) }?.1 ?? (text.hasPrefix("$") ? "crypt" : "descrypt")
        }
    }

    /// A hash of a random password that costs the same to verify as `self`: what an unknown user's
    /// password is checked against, so that unknown users take as long as known ones.
    func dummy() -> StoredHash? {
        let secret = randomPassword()
        switch self {
        case .locked:
            return nil
        case .crypt(let stored):
            // The stored hash as the setting keeps scheme, cost and salt length exactly.
            return Libxcrypt.crypt(secret, setting: stored).map(StoredHash.crypt)
        case .apacheMD5(let stored):
            return ApacheMD5.salt(of: stored).map { .apacheMD5(ApacheMD5.hash(secret, salt: $0)) }
        case .apacheSHA1:
            return .apacheSHA1(ApacheSHA1.hash(secret))
        case .plaintext(let stored):
            return .plaintext(Array(secret.prefix(stored.count)) + Array(repeating: UInt8(ascii: "x"), count: max(0, stored.count - secret.count)))
        }
    }

    /// The dummy for a file without usable entries: libxcrypt's preferred method at its default cost.
    static func defaultDummy() -> StoredHash? {
        guard let setting = Libxcrypt.gensalt(prefix: "$y$", count: 0) else { return nil }
        return Libxcrypt.crypt(randomPassword(), setting: Array(setting.utf8)).map(StoredHash.crypt)
    }
}

/// 24 random printable bytes: a password nobody knows.
private func randomPassword() -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<24).map { _ in UInt8.random(in: 0x21...0x7e, using: &generator) }
}
