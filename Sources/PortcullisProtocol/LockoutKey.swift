public import PortcullisNetwork

/// The faillock plugin's keys in the shared store, shared with `portcullis lockout`, which names
/// the same keys from a user and an address:
/// - `a/203.0.113.5`: every failure from an address (IPv6: its /64, `a/2001:db8:0:1::/64`);
/// - `u/203.0.113.5/alice`: one user-id's failures from that address.
///
/// Readable on purpose (the operator lists and resets them), and safe to log: the user-id is
/// percent-escaped (every byte outside printable ASCII, and `%` and `/`), so a key is one line of
/// ASCII whatever was sent, and it never holds a password.
public enum LockoutKey {
    /// The address part: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its /64 (one subscriber),
    /// `unknown` when the host could not resolve the client.
    public static func address(_ client: IPAddress?) -> String {
        guard let client = client?.unmapped else { return "unknown" }
        switch client {
        case .v4: return client.description
        case .v6(let value):
            let groups = (0..<4).map { String(UInt16(truncatingIfNeeded: value >> (112 - 16 * $0)), radix: 16) }
            return groups.joined(separator: ":") + "::/64"
        }
    }

    /// The key counting every failure from `address` (an ``address(_:)``).
    public static func forAddress(_ address: String) -> String { "a/" + address }

    /// The key counting `user`'s failures from `address` (an ``address(_:)``).
    public static func forUser(_ user: some Collection<UInt8>, address: String) -> String {
        "u/" + address + "/" + escaped(user)
    }

    /// The user-id with every byte outside `!`…`~`, and `%` and `/`, as `%XX`.
    public static func escaped(_ user: some Collection<UInt8>) -> String {
        var text = ""
        text.reserveCapacity(user.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in user {
            if byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "%"), byte != UInt8(ascii: "/") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text.unicodeScalars.append(Unicode.Scalar(UInt8(ascii: "%")))
                text.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                text.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return text
    }

    /// What a key names: the address, and the user-id bytes for a user key. nil: not a faillock key.
    public static func parse(_ key: String) -> (user: [UInt8]?, address: String)? {
        if key.hasPrefix("a/") { return (nil, String(key.dropFirst(2))) }
        guard key.hasPrefix("u/") else { return nil }
        let rest = key.dropFirst(2)
        // The address may hold `/` (an IPv6 /64); the escaped user-id never does.
        guard let slash = rest.lastIndex(of: "/") else { return nil }
        var user: [UInt8] = []
        var bytes = Array(rest[rest.index(after: slash)...].utf8)[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%") else { user.append(byte); continue }
            guard bytes.count >= 2, let value = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            user.append(value)
            bytes = bytes.dropFirst(2)
        }
        return (user, String(rest[..<slash]))
    }
}
