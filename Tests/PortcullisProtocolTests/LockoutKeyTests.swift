import PortcullisNetwork
import PortcullisProtocol
import XCTest

/// faillock's keys: the byte writers the plugin uses on every request and the String forms the
/// CLI builds from `--user` and `--address` must name the same key.
final class LockoutKeyTests: XCTestCase {
    func bytes(_ body: ((UnsafeRawBufferPointer) -> String) -> String) -> String { body { String(decoding: $0, as: UTF8.self) } }

    func testAddresses() {
        let cases: [(String?, String)] = [
            ("192.0.2.10", "192.0.2.10"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"), ("10.100.9.1", "10.100.9.1"),
            ("::ffff:198.51.100.7", "198.51.100.7"), ("2001:db8:1:2::5", "2001:db8:1:2::/64"), ("2001:db8::1", "2001:db8:0:0::/64"),
            ("ffff:ffff:ffff:ffff:ffff::1", "ffff:ffff:ffff:ffff::/64"), ("fe80::1", "fe80:0:0:0::/64"), (nil, "unknown"),
        ]
        for (text, expected) in cases {
            let address = text.flatMap { IPAddress($0) }
            XCTAssertEqual(LockoutKey.address(address), expected)
            XCTAssertEqual(bytes { body in LockoutKey.withAddressKey(address, body) }, "a/" + expected)
            XCTAssertEqual(LockoutKey.forAddress(LockoutKey.address(address)), "a/" + expected)
        }
    }

    func testUserKeysAreEscapedAndRoundTrip() {
        let address = IPAddress("2001:db8:1:2::5")
        for user in ["alice", "eve/ü %x", "", "a\nb\u{7F}", String(repeating: "z", count: 300)] {
            let raw = Array(user.utf8)
            let written = raw.withUnsafeBytes { user in bytes { body in LockoutKey.withUserKey(user, client: address, body) } }
            XCTAssertEqual(written, LockoutKey.forUser(raw, address: LockoutKey.address(address)))
            XCTAssertTrue(written.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, written)
            let parsed = LockoutKey.parse(written)
            XCTAssertEqual(parsed?.user, raw)
            XCTAssertEqual(parsed?.address, "2001:db8:1:2::/64")
        }
        XCTAssertEqual(LockoutKey.forUser(Array("eve/ü %x".utf8), address: "192.0.2.1"), "u/192.0.2.1/eve%2F%C3%BC%20%25x")
        XCTAssertNil(LockoutKey.parse("x/1"))
        XCTAssertNil(LockoutKey.parse("u/1.2.3.4/%G1"))
    }
}
