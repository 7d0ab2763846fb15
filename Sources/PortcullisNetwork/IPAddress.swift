#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as a number, so prefixes are simple bit operations.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt128)

    /// Parses the textual forms `inet_pton` accepts (`192.0.2.1`, `2001:db8::1`, `::ffff:10.0.0.1`).
    /// Brackets, ports and zone ids are not part of an address: callers strip them first.
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        // inet_pton reads a C string: it would stop at a NUL and take `1.2.3.4\0junk` for 1.2.3.4.
        guard !text.utf8.contains(0) else { return nil }
        if text.contains(":") {
            var raw = in6_addr()
            guard inet_pton(AF_INET6, text, &raw) == 1 else { return nil }
            self = withUnsafeBytes(of: &raw) { IPAddress(ipv6Bytes: Array($0)) }
        } else {
            var raw = in_addr()
            // inet_pton rejects the shorthand forms (`10.1`, octal) that inet_aton would accept.
            guard text.utf8.count <= 15, inet_pton(AF_INET, text, &raw) == 1 else { return nil }
            self = .v4(UInt32(bigEndian: raw.s_addr))
        }
    }

    /// Builds an address from network-order bytes: 4 for IPv4, 16 for IPv6.
    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4: self = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16: self.init(ipv6Bytes: Array(bytes))
        default: return nil
        }
    }

    private init(ipv6Bytes bytes: [UInt8]) {
        self = .v6(bytes.reduce(0) { $0 << 8 | UInt128($1) })
    }

    /// The address in network byte order (4 or 16 bytes).
    public var bytes: [UInt8] {
        switch self {
        case .v4(let value): (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
        case .v6(let value): (0..<16).map { UInt8(truncatingIfNeeded: value >> (120 - 8 * $0)) }
        }
    }

    /// Width of the address in bits: 32 or 128.
    public var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), or self.
    /// Lists and proxies written as IPv4 must match clients that arrive on a dual-stack socket.
    public var unmapped: IPAddress {
        if case .v6(let value) = self, value >> 32 == 0xffff {
            return .v4(UInt32(truncatingIfNeeded: value))
        }
        return self
    }

    public var description: String {
        switch self {
        case .v4:
            return bytes.map(String.init).joined(separator: ".")
        case .v6:
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes) }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
