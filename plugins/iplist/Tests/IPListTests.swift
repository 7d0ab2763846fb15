import PortcullisPluginKit
import XCTest

@testable import IplistPlugin

/// The compiled lists, called directly: most specific prefix wins, deny beats allow on ties.
final class IPListTests: XCTestCase {
    private func prefixes(_ texts: [String]) throws -> [IPPrefix] { try texts.map { try IPPrefix(parsing: $0) } }

    private func action(_ list: IPList, _ address: String, file: StaticString = #filePath, line: UInt = #line) -> ListAction? {
        guard let parsed = IPAddress(address) else {
            XCTFail("test address \(address) does not parse", file: file, line: line)
            return nil
        }
        return list.action(for: parsed)
    }

    func testEmptyListMatchesNothing() {
        let list = IPList()
        XCTAssertNil(action(list, "0.0.0.0"))
        XCTAssertNil(action(list, "255.255.255.255"))
        XCTAssertNil(action(list, "::"))
        XCTAssertNil(action(list, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
    }

    func testIPv4HostAndNetwork() throws {
        let list = IPList(allow: try prefixes(["192.0.2.0/24"]), deny: try prefixes(["198.51.100.7"]))
        XCTAssertEqual(action(list, "192.0.2.0"), .allow)
        XCTAssertEqual(action(list, "192.0.2.255"), .allow)
        XCTAssertNil(action(list, "192.0.1.255"))
        XCTAssertNil(action(list, "192.0.3.0"))
        XCTAssertEqual(action(list, "198.51.100.7"), .deny)
        XCTAssertNil(action(list, "198.51.100.6"))
        XCTAssertNil(action(list, "198.51.100.8"))
    }

    func testSlash32AndSlash0() throws {
        let list = IPList(allow: try prefixes(["0.0.0.0/0"]), deny: try prefixes(["203.0.113.9/32"]))
        XCTAssertEqual(action(list, "0.0.0.0"), .allow)
        XCTAssertEqual(action(list, "255.255.255.255"), .allow)
        XCTAssertEqual(action(list, "203.0.113.9"), .deny)
        XCTAssertEqual(action(list, "203.0.113.10"), .allow)
        // An IPv4 /0 says nothing about IPv6 clients.
        XCTAssertNil(action(list, "2001:db8::1"))
    }

    func testLastAddressesOfEachFamily() throws {
        let list = IPList(deny: try prefixes(["255.255.255.255/32", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "0.0.0.0/32", "::/128"]))
        XCTAssertEqual(action(list, "255.255.255.255"), .deny)
        XCTAssertNil(action(list, "255.255.255.254"))
        XCTAssertEqual(action(list, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), .deny)
        XCTAssertNil(action(list, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"))
        XCTAssertEqual(action(list, "0.0.0.0"), .deny)
        XCTAssertNil(action(list, "0.0.0.1"))
        XCTAssertEqual(action(list, "::"), .deny)
        XCTAssertNil(action(list, "::2"))
    }

    func testIPv6Prefixes() throws {
        let list = IPList(
            allow: try prefixes(["2001:db8::/32", "::/0"]),
            deny: try prefixes(["2001:db8:bad::/48", "2001:db8::1/128"]))
        XCTAssertEqual(action(list, "2001:db8::2"), .allow)
        XCTAssertEqual(action(list, "2001:db8::1"), .deny)
        XCTAssertEqual(action(list, "2001:db8:bad::1"), .deny)
        XCTAssertEqual(action(list, "2001:db8:bad:ffff:ffff:ffff:ffff:ffff"), .deny)
        XCTAssertEqual(action(list, "2001:db8:bae::"), .allow)
        XCTAssertEqual(action(list, "2001:db9::"), .allow, "::/0 covers the rest")
        XCTAssertEqual(action(list, "fe80::1"), .allow)
    }

    func testMostSpecificPrefixWinsAcrossNesting() throws {
        let list = IPList(
            allow: try prefixes(["10.1.0.0/16", "10.1.2.3/32", "10.255.255.0/24"]),
            deny: try prefixes(["10.0.0.0/8", "10.1.2.0/24"]))
        XCTAssertEqual(action(list, "9.255.255.255"), nil)
        XCTAssertEqual(action(list, "10.0.0.0"), .deny)
        XCTAssertEqual(action(list, "10.0.255.255"), .deny)
        XCTAssertEqual(action(list, "10.1.0.0"), .allow)
        XCTAssertEqual(action(list, "10.1.1.255"), .allow)
        XCTAssertEqual(action(list, "10.1.2.0"), .deny)
        XCTAssertEqual(action(list, "10.1.2.2"), .deny)
        XCTAssertEqual(action(list, "10.1.2.3"), .allow)
        XCTAssertEqual(action(list, "10.1.2.4"), .deny)
        XCTAssertEqual(action(list, "10.1.3.0"), .allow)
        XCTAssertEqual(action(list, "10.1.255.255"), .allow)
        XCTAssertEqual(action(list, "10.2.0.0"), .deny)
        // A nested prefix that ends where its parent ends.
        XCTAssertEqual(action(list, "10.255.254.255"), .deny)
        XCTAssertEqual(action(list, "10.255.255.0"), .allow)
        XCTAssertEqual(action(list, "10.255.255.255"), .allow)
        XCTAssertEqual(action(list, "11.0.0.0"), nil)
    }

    func testSamePrefixAllowedAndDeniedIsDenied() throws {
        for order in [false, true] {
            var builder = IPList.Builder()
            let prefix = try IPPrefix(parsing: "172.16.0.0/12")
            let six = try IPPrefix(parsing: "2001:db8::/64")
            for action in order ? [ListAction.deny, .allow] : [.allow, .deny] {
                builder.add(prefix, action)
                builder.add(six, action)
            }
            builder.add(try IPPrefix(parsing: "172.16.0.0/12"), .allow)
            let list = IPList(builder)
            XCTAssertEqual(action(list, "172.16.0.1"), .deny)
            XCTAssertEqual(action(list, "172.31.255.255"), .deny)
            XCTAssertEqual(action(list, "2001:db8::ffff"), .deny)
            XCTAssertNil(action(list, "172.32.0.0"))
        }
    }

    func testMappedAddressesMatchIPv4Entries() throws {
        let list = IPList(allow: try prefixes(["10.0.0.0/8"]), deny: try prefixes(["10.9.9.9"]))
        XCTAssertEqual(action(list, "::ffff:10.0.0.1"), .allow)
        XCTAssertEqual(action(list, "::ffff:10.9.9.9"), .deny)
        XCTAssertNil(action(list, "::ffff:11.0.0.1"))
        // Not mapped: IPv4-compatible and NAT64 forms are IPv6 addresses.
        XCTAssertNil(action(list, "::10.0.0.1"))
        XCTAssertNil(action(list, "64:ff9b::10.0.0.1"))
    }

    func testIPv6EntriesInTheMappedRangeAreIPv4Entries() throws {
        let list = IPList(
            allow: try prefixes(["::ffff:10.0.0.0/104", "::/0"]),
            deny: try prefixes(["::ffff:10.1.0.0/112", "192.0.2.0/24"]))
        XCTAssertEqual(action(list, "10.0.0.1"), .allow)
        XCTAssertEqual(action(list, "10.1.0.1"), .deny)
        XCTAssertEqual(action(list, "::ffff:10.1.0.1"), .deny)
        // ::/0 speaks about IPv6 only (as in nginx): IPv4 clients are judged by IPv4 entries.
        XCTAssertNil(action(list, "8.8.8.8"))
        XCTAssertEqual(action(list, "192.0.2.1"), .deny)
    }

    func testShortIPv6PrefixesDoNotCoverIPv4Clients() throws {
        let list = IPList(allow: try prefixes(["::/0"]), deny: try prefixes(["::/64"]))
        XCTAssertNil(action(list, "8.8.8.8"))
        XCTAssertEqual(action(list, "::1"), .deny)
        XCTAssertEqual(action(list, "2001:db8::1"), .allow)
    }

    /// Thousands of ranges in one corner of a wide span share a bucket: the halving path.
    func testCrowdedBucket() {
        var builder = IPList.Builder()
        builder.add(IPPrefix(address: .v4(1), length: 32), .deny)
        builder.add(IPPrefix(address: .v4(UInt32.max), length: 32), .deny)
        builder.add(IPPrefix(address: .v6(1), length: 128), .deny)
        builder.add(IPPrefix(address: .v6(UInt128.max), length: 128), .deny)
        for host in stride(from: UInt32(0), to: 4096, by: 2) {
            builder.add(IPPrefix(address: .v4(0x0A00_0000 + host), length: 32), host % 4 == 0 ? .allow : .deny)
            builder.add(IPPrefix(address: .v6(UInt128(0x2001_0db8) << 96 + UInt128(host)), length: 128), host % 4 == 0 ? .allow : .deny)
        }
        let list = IPList(builder)
        for host in UInt32(0)..<4200 {
            let expected: ListAction? = host >= 4096 || host % 2 == 1 ? nil : host % 4 == 0 ? .allow : .deny
            XCTAssertEqual(list.action(for: .v4(0x0A00_0000 + host)), expected, "10.0.x.x + \(host)")
            XCTAssertEqual(list.action(for: .v6(UInt128(0x2001_0db8) << 96 + UInt128(host))), expected, "2001:db8:: + \(host)")
        }
        XCTAssertEqual(list.action(for: .v4(1)), .deny)
        XCTAssertNil(list.action(for: .v4(2)))
        XCTAssertEqual(list.action(for: .v6(UInt128.max)), .deny)
    }

    /// Compares the table with the definition (the longest containing prefix; deny on a
    /// tie), over random overlapping prefixes, at sizes that give different index widths.
    func testMatchesBruteForceOnRandomLists() throws {
        var generator = SplitMix(seed: 42)
        for size in [1, 7, 300, 5000] {
            var entries: [(IPPrefix, ListAction)] = []
            for _ in 0..<size {
                let action: ListAction = generator.next() % 3 == 0 ? .deny : .allow
                entries.append((generator.prefix(), action))
            }
            var builder = IPList.Builder()
            for (prefix, action) in entries { builder.add(prefix, action) }
            let list = IPList(builder)
            for probe in 0..<4000 {
                // Half the probes land inside a listed prefix, at its edges or just past them.
                let address: IPAddress
                if probe % 2 == 0, let (prefix, _) = entries.randomElement(using: &generator) {
                    address = generator.address(near: prefix)
                } else {
                    address = generator.address()
                }
                let expected = entries.filter { $0.0.contains(address) }
                    .max { ($0.0.length, $0.1) < ($1.0.length, $1.1) }?.1
                XCTAssertEqual(list.action(for: address), expected, "size \(size), address \(address)")
            }
        }
    }
}

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Prefixes crowded into 10.0.0.0/12 and 2001:db8::/44 so that many of them overlap.
    mutating func prefix() -> IPPrefix {
        if next() % 2 == 0 {
            let length = Int.random(in: 12...32, using: &self)
            let value = 0x0A00_0000 | UInt32(truncatingIfNeeded: next()) & 0x000F_FFFF
            return IPPrefix(address: .v4(value), length: length).masked
        }
        let length = Int.random(in: 44...128, using: &self)
        let value = UInt128(0x2001_0db8) << 96 | UInt128(next() & 0xF_FFFF) << 64 | UInt128(next())
        return IPPrefix(address: .v6(value), length: length).masked
    }

    mutating func address() -> IPAddress {
        if next() % 2 == 0 { return .v4(0x0A00_0000 | UInt32(truncatingIfNeeded: next()) & 0x000F_FFFF) }
        return .v6(UInt128(0x2001_0db8) << 96 | UInt128(next() & 0xF_FFFF) << 64 | UInt128(next()))
    }

    mutating func address(near prefix: IPPrefix) -> IPAddress {
        switch prefix.network {
        case .v4(let network):
            let last = prefix.length == 0 ? UInt32.max : network | UInt32.max >> prefix.length
            return .v4([network, last, network &- 1, last &+ 1, network | UInt32(truncatingIfNeeded: next()) & (last ^ network)][Int(next() % 5)])
        case .v6(let network):
            let last = network | UInt128.max >> prefix.length
            return .v6([network, last, network &- 1, last &+ 1, network | UInt128(next()) & (last ^ network)][Int(next() % 5)])
        }
    }
}

extension IPPrefix {
    var masked: IPPrefix { IPPrefix(address: network, length: length) }
}
