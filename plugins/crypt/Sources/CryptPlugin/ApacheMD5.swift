import Crypto

/// Apache's `$apr1$` hash: Poul-Henning Kamp's md5crypt with the magic string `$apr1$`.
///
/// Written here because libxcrypt verifies `$1$` md5crypt but not Apache's variant, and htpasswd
/// still makes `$apr1$` by default (`htpasswd -m`). The MD5 itself comes from swift-crypto.
/// The algorithm is checked against libxcrypt's own `$1$` in the tests (same code, other magic).
enum ApacheMD5 {
    static let magic: [UInt8] = Array("$apr1$".utf8)

    /// The full hash `magic salt $ checksum` of `password` with `salt` (at most 8 bytes used).
    static func hash(_ password: some Collection<UInt8>, salt: some Collection<UInt8>, magic: [UInt8] = magic) -> [UInt8] {
        let password = Array(password)
        let salt = Array(salt.prefix(8))

        var alternate = Insecure.MD5()
        alternate.update(data: password)
        alternate.update(data: salt)
        alternate.update(data: password)
        let alternateDigest = Array(alternate.finalize())

        var context = Insecure.MD5()
        context.update(data: password)
        context.update(data: magic)
        context.update(data: salt)
        var remaining = password.count
        while remaining > 0 {
            context.update(data: alternateDigest.prefix(min(remaining, 16)))
            remaining -= 16
        }
        // The original code feeds a byte of a zeroed buffer for set bits, the password's first byte otherwise.
        var bits = password.count
        while bits != 0 {
            context.update(data: bits & 1 == 1 ? [0] : [password[0]])
            bits >>= 1
        }
        var digest = Array(context.finalize())

        // 1000 rounds, as in md5crypt: meant to slow down guessing (it no longer does much).
        // Raw buffers and one reused digest array: no allocation per round.
        password.withUnsafeBytes { password in
            salt.withUnsafeBytes { salt in
                for round in 0..<1000 {
                    var step = Insecure.MD5()
                    digest.withUnsafeBytes { previous in
                        step.update(bufferPointer: round & 1 == 1 ? password : previous)
                        if round % 3 != 0 { step.update(bufferPointer: salt) }
                        if round % 7 != 0 { step.update(bufferPointer: password) }
                        step.update(bufferPointer: round & 1 == 1 ? previous : password)
                    }
                    step.finalize().withUnsafeBytes { next in
                        digest.withUnsafeMutableBytes { $0.copyMemory(from: next) }
                    }
                }
            }
        }

        var output = magic + salt
        output.append(UInt8(ascii: "$"))
        let groups: [(Int, Int, Int)] = [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)]
        for (first, second, third) in groups {
            appendCryptBase64(UInt32(digest[first]) << 16 | UInt32(digest[second]) << 8 | UInt32(digest[third]), characters: 4, to: &output)
        }
        appendCryptBase64(UInt32(digest[11]), characters: 2, to: &output)
        return output
    }

    /// The salt of a stored `$apr1$` hash: the bytes between the magic and the next `$` (at most 8).
    static func salt(of stored: [UInt8]) -> ArraySlice<UInt8>? {
        guard stored.starts(with: magic) else { return nil }
        let rest = stored.dropFirst(magic.count)
        guard let end = rest.firstIndex(of: UInt8(ascii: "$")) else { return nil }
        return rest[..<end].prefix(8)
    }
}

/// The `./0-9A-Za-z` alphabet of crypt(3), least significant six bits first.
private let cryptAlphabet = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

private func appendCryptBase64(_ value: UInt32, characters: Int, to output: inout [UInt8]) {
    var value = value
    for _ in 0..<characters {
        output.append(cryptAlphabet[Int(value & 0x3f)])
        value >>= 6
    }
}
