public import PortcullisNetwork

/// The faillock plugin's keys in the shared store, shared with `portcullis lockout`, which names
/// the same keys from a user and an address:
/// - `a/203.0.113.5`: every failure from an address (IPv6: its /64, `a/2001:db8:0:1::/64`);
/// - `u/203.0.113.5/alice`: one user-id's failures from that address.
///
/// Readable on purpose (the operator lists and resets them), and safe to log: the user-id is
/// percent-escaped (every byte outside printable ASCII, and `%` and `/`), so a key is one line of
/// ASCII whatever was sent, and it never holds a password.
///
/// The plugin builds both keys on every request, so they are written as bytes into a temporary
/// buffer (``withAddressKey(_:_:)``, ``withUserKey(_:client:_:)``) and never become Strings on
/// that path; the String forms are made by the same writers, so both always agree.
public enum LockoutKey {
    /// The longest address part: `ffff:ffff:ffff:ffff::/64`.
    @usableFromInline static let maxAddressLength = 24

    /// The address part: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its /64 (one subscriber),
    /// `unknown` when the host could not resolve the client.
    public static func address(_ client: IPAddress?) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxAddressLength) { buffer in
            String(decoding: buffer[..<writeAddress(client, into: buffer, at: 0)], as: UTF8.self)
        }
    }

    /// The key counting every failure from `address` (an ``address(_:)``).
    public static func forAddress(_ address: String) -> String { "a/" + address }

    /// The key counting `user`'s failures from `address` (an ``address(_:)``).
    public static func forUser(_ user: some Collection<UInt8>, address: String) -> String {
        let user = Array(user)
        return user.withUnsafeBytes { user in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, 3 * user.count)) { buffer in
                "u/" + address + "/" + String(decoding: buffer[..<writeEscaped(user, into: buffer, at: 0)], as: UTF8.self)
            }
        }
    }

    /// `body` with the bytes of the address key of `client`.
    @inlinable
    public static func withAddressKey<Result>(_ client: IPAddress?, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 + maxAddressLength) { buffer in
            buffer[0] = UInt8(ascii: "a")
            buffer[1] = UInt8(ascii: "/")
            let end = writeAddress(client, into: buffer, at: 2)
            return body(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[..<end])))
        }
    }

    /// `body` with the bytes of the key of `user` from `client`.
    @inlinable
    public static func withUserKey<Result>(_ user: UnsafeRawBufferPointer, client: IPAddress?,
                                           _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 3 + maxAddressLength + 3 * user.count) { buffer in
            buffer[0] = UInt8(ascii: "u")
            buffer[1] = UInt8(ascii: "/")
            var end = writeAddress(client, into: buffer, at: 2)
            buffer[end] = UInt8(ascii: "/")
            end = writeEscaped(user, into: buffer, at: end + 1)
            return body(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[..<end])))
        }
    }

    /// The user-id with every byte outside `!`…`~`, and `%` and `/`, as `%XX`.
    public static func escaped(_ user: some Collection<UInt8>) -> String {
        let user = Array(user)
        return user.withUnsafeBytes { user in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, 3 * user.count)) { buffer in
                String(decoding: buffer[..<writeEscaped(user, into: buffer, at: 0)], as: UTF8.self)
            }
        }
    }

    /// Writes the address part at `offset` (room for ``maxAddressLength`` bytes); returns the end.
    @usableFromInline
    static func writeAddress(_ client: IPAddress?, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> Int {
        var end = offset
        func put(_ byte: UInt8) {
            buffer[end] = byte
            end += 1
        }
        switch client?.unmapped {
        case nil:
            for byte in "unknown".utf8 { put(byte) }
        case .v4(let value)?:
            for index in 0..<4 {
                if index > 0 { put(UInt8(ascii: ".")) }
                let octet = UInt8(truncatingIfNeeded: value >> (24 - 8 * index))
                if octet >= 100 { put(UInt8(ascii: "0") + octet / 100) }
                if octet >= 10 { put(UInt8(ascii: "0") + octet / 10 % 10) }
                put(UInt8(ascii: "0") + octet % 10)
            }
        case .v6(let value)?:
            for index in 0..<4 {
                if index > 0 { put(UInt8(ascii: ":")) }
                let group = UInt16(truncatingIfNeeded: value >> (112 - 16 * index))
                var started = false
                for shift in stride(from: 12, through: 0, by: -4) {
                    let digit = UInt8(truncatingIfNeeded: group >> UInt16(shift)) & 0xF
                    guard started || digit != 0 || shift == 0 else { continue }
                    started = true
                    put(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
                }
            }
            for byte in "::/64".utf8 { put(byte) }
        }
        return end
    }

    /// Writes `user` escaped at `offset` (room for 3 bytes per byte of it); returns the end.
    @usableFromInline
    static func writeEscaped(_ user: UnsafeRawBufferPointer, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> Int {
        var end = offset
        for byte in user {
            if byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "%"), byte != UInt8(ascii: "/") {
                buffer[end] = byte
                end += 1
            } else {
                buffer[end] = UInt8(ascii: "%")
                buffer[end + 1] = hexDigit(byte >> 4)
                buffer[end + 2] = hexDigit(byte & 0xF)
                end += 3
            }
        }
        return end
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
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
