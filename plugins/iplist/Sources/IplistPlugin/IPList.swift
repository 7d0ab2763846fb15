public import PortcullisPluginKit

/// Allow and deny prefixes for IPv4 and IPv6, compiled once into lookup tables.
///
/// The most specific prefix containing an address decides (as nginx `geo` does); a prefix
/// listed as both allow and deny denies. IPv4 clients, including IPv4-mapped IPv6 ones
/// (`::ffff:10.0.0.1`), are looked up among the IPv4 entries; IPv6 entries written inside
/// `::ffff:0:0/96` count as IPv4 entries. Shorter IPv6 prefixes (`::/0`) speak about IPv6 only,
/// as in nginx, where IPv4 clients are checked against IPv4 rules.
///
/// Immutable and shared: a reload builds a new list and swaps it in whole.
public final class IPList: Sendable {
    private let v4: RangeTable<UInt32>
    private let v6: RangeTable<UInt128>
    /// Number of entries given (repeats included).
    public let entryCount: Int

    public convenience init(allow: [IPPrefix] = [], deny: [IPPrefix] = []) {
        var builder = Builder()
        for prefix in allow { builder.add(prefix, .allow) }
        for prefix in deny { builder.add(prefix, .deny) }
        self.init(builder)
    }

    init(_ builder: Builder) {
        v4 = RangeTable(builder.v4)
        v6 = RangeTable(builder.v6)
        entryCount = builder.count
    }

    /// The answer for `address`, or nil when no entry covers it.
    public func action(for address: IPAddress) -> ListAction? {
        switch address.unmapped {
        case .v4(let value): v4.action(for: value)
        case .v6(let value): v6.action(for: value)
        }
    }

    /// Disjoint ranges in both tables: what a lookup searches.
    public var rangeCount: Int { v4.rangeCount + v6.rangeCount }

    /// Bytes held by the lookup tables (excluding the object headers).
    public var byteCount: Int { v4.byteCount + v6.byteCount }

    /// Collects entries one by one, so a million-line file never becomes an array of
    /// `IPPrefix` values on the way.
    public struct Builder: Sendable {
        var v4: [RangeTable<UInt32>.Entry] = []
        var v6: [RangeTable<UInt128>.Entry] = []
        public private(set) var count = 0

        public init() {}

        public mutating func add(_ prefix: IPPrefix, _ action: ListAction) {
            count += 1
            switch prefix.network {
            case .v4(let network):
                v4.append(.init(network: network, length: UInt8(prefix.length), action: action))
            case .v6(let network):
                if prefix.length >= 96, network >> 32 == 0xffff {
                    // ::ffff:10.0.0.0/104 is 10.0.0.0/8.
                    let mapped = UInt32(truncatingIfNeeded: network)
                    v4.append(.init(network: mapped, length: UInt8(prefix.length - 96), action: action))
                    return
                }
                v6.append(.init(network: network, length: UInt8(prefix.length), action: action))
            }
        }
    }
}
