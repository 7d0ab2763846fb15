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
        guard let address = text.utf8.withContiguousStorageIfAvailable({ IPAddress(utf8: $0) })
            ?? Array(text.utf8).withUnsafeBufferPointer({ IPAddress(utf8: $0) })
        else { return nil }
        self = address
    }

    /// The same from UTF-8 bytes, without making a String: the client-address resolver reads
    /// every hop of `X-Forwarded-For` with it, on every request. A concrete buffer, not a
    /// generic: called from another module, a generic runs unspecialized (callgrind: 10× slower).
    public init?(utf8 text: UnsafeBufferPointer<UInt8>) {
        if text.contains(UInt8(ascii: ":")) {
            guard let address = Self.parseIPv6(text) else { return nil }
            self = address
        } else {
            guard let address = Self.parseIPv4(text) else { return nil }
            self = .v4(address)
        }
    }

    /// glibc's `inet_pton4`, written out so it needs no NUL-terminated copy: exactly four decimal
    /// octets of at most 255, no leading zero (that would be octal to `inet_aton`), nothing else.
    /// `IPAddressTests` compares it with `inet_pton` itself.
    private static func parseIPv4(_ text: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var octets = 0
        var sawDigit = false
        for byte in text {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if sawDigit && octet == 0 { return nil }
                octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
                guard octet <= 255 else { return nil }
                if !sawDigit {
                    octets += 1
                    guard octets <= 4 else { return nil }
                    sawDigit = true
                }
            case UInt8(ascii: ".") where sawDigit && octets < 4:
                value = value << 8 | octet
                octet = 0
                sawDigit = false
            default:
                return nil
            }
        }
        guard octets == 4, sawDigit else { return nil }
        return value << 8 | octet
    }

    /// Through `inet_pton`, from a NUL-terminated copy on the stack. A NUL inside is refused:
    /// `inet_pton` would stop there and take `::1\0junk` for `::1`.
    private static func parseIPv6(_ text: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        let count = text.count
        // INET6_ADDRSTRLEN (46) with its NUL: nothing longer is an address.
        guard count < 46, !text.contains(0) else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer -> IPAddress? in
            var index = 0
            for byte in text {
                buffer[index] = CChar(bitPattern: byte)
                index += 1
            }
            buffer[count] = 0
            var raw = in6_addr()
            guard let base = buffer.baseAddress, inet_pton(AF_INET6, base, &raw) == 1 else { return nil }
            return withUnsafeBytes(of: &raw) { IPAddress(ipv6NetworkOrder: $0) }
        }
    }

    /// An IPv6 address from the first 16 bytes of `raw`, in network order (an `in6_addr`, the
    /// ABI's `pc_address`), without the Array that ``init(bytes:)`` would need.
    package init(ipv6NetworkOrder raw: UnsafeRawBufferPointer) {
        let high = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let low = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        self = .v6(UInt128(high) << 64 | UInt128(low))
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
