/// A CIDR prefix such as `10.0.0.0/8` or `2001:db8::/32`; a bare address is a full-length prefix.
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let length: Int

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case invalidAddress(String)
        case invalidLength(String)
        /// `10.0.0.1/8`: host bits set. Refused rather than silently masked, since it is usually a typo.
        case hostBitsSet(String, expected: String)

        public var description: String {
            switch self {
            case .invalidAddress(let text): "'\(text)' is not an IP address or CIDR prefix"
            case .invalidLength(let text): "'\(text)' has an invalid prefix length"
            case .hostBitsSet(let text, let expected): "'\(text)' has host bits set (did you mean \(expected)?)"
            }
        }
    }

    public init(address: IPAddress, length: Int) {
        precondition(length >= 0 && length <= address.bitWidth, "prefix length out of range")
        self.address = address
        self.length = length
    }

    /// Parses `address` or `address/length`, refusing host bits beyond the prefix.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        let text = String(text)
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { throw .invalidAddress(text) }
        var length = address.bitWidth
        if parts.count == 2 {
            guard parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber), (1...3).contains(parts[1].count),
                let parsed = Int(parts[1]), parsed <= address.bitWidth
            else { throw .invalidLength(text) }
            length = parsed
        }
        let prefix = IPPrefix(address: address, length: length)
        guard prefix.network == address else {
            throw .hostBitsSet(text, expected: "\(prefix.network)/\(length)")
        }
        self = prefix
    }

    /// The address with every bit past the prefix cleared.
    public var network: IPAddress {
        switch address {
        case .v4(let value): .v4(length == 0 ? 0 : value & ~(UInt32.max >> length))
        case .v6(let value): .v6(length == 0 ? 0 : value & ~(UInt128.max >> length))
        }
    }

    /// Whether `candidate` lies in this prefix. IPv4-mapped IPv6 addresses match IPv4 prefixes.
    public func contains(_ candidate: IPAddress) -> Bool {
        switch (address, candidate.unmapped) {
        case (.v4(let network), .v4(let value)):
            return length == 0 || (value ^ network) >> (32 - length) == 0
        case (.v6(let network), .v6(let value)):
            return length == 0 || (value ^ network) >> (128 - length) == 0
        case (.v6(let network), .v4(let value)):
            // Only an IPv6 prefix inside the mapped range (::ffff:0:0/96) speaks about IPv4 clients.
            let mapped = UInt128(0xffff) << 32 | UInt128(value)
            return length >= 96 && (mapped ^ network) >> (128 - length) == 0
        default:
            return false
        }
    }

    public var description: String { "\(address)/\(length)" }
}
