import Glibc
import PortcullisNetwork
import XCTest

/// IPv4 text is parsed by hand (no NUL-terminated copy per hop of `X-Forwarded-For`); these
/// hold it to what glibc's `inet_pton` itself answers, case by case.
final class IPAddressParsingTests: XCTestCase {
    /// What inet_pton says of `text`, in the same form.
    private func reference(_ text: String) -> IPAddress? {
        guard !text.utf8.contains(0) else { return nil }
        if text.utf8.contains(UInt8(ascii: ":")) {
            var raw = in6_addr()
            guard inet_pton(AF_INET6, text, &raw) == 1 else { return nil }
            return withUnsafeBytes(of: &raw) { IPAddress(bytes: Array($0)) }
        }
        var raw = in_addr()
        guard inet_pton(AF_INET, text, &raw) == 1 else { return nil }
        return .v4(UInt32(bigEndian: raw.s_addr))
    }

    func testTheEdgesOfIPv4AgreeWithInetPton() {
        let cases = [
            "0.0.0.0", "255.255.255.255", "192.0.2.1", "1.2.3.4", "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04",
            "0.0.0.00", "1.2.3", "1.2.3.4.5", "1.2.3.4.", ".1.2.3.4", "1..2.3", "1.2.3.-4", "+1.2.3.4", " 1.2.3.4",
            "1.2.3.4 ", "1.2.3.4\0", "1.2.3.4\05", "", ".", "1", "10.1", "0x1.2.3.4", "1.2.3.4a", "999.1.1.1",
            "4294967295", "1.2.3.4/8", "١.٢.٣.٤", "1.2.3.4\u{301}", "25\u{30}.1.1.1", "0255.1.1.1", "1.0.0.0",
        ]
        for text in cases {
            XCTAssertEqual(IPAddress(text), reference(text), "\(text.debugDescription)")
        }
    }

    func testIPv6AgreesWithInetPton() {
        let cases = [
            "::", "::1", "2001:db8::1", "::ffff:10.0.0.1", "::ffff:10.0.0.01", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9",
            "1::2::3", "fe80::1%eth0", "[::1]", "::1\0", "0000:0000:0000:0000:0000:0000:255.255.255.255",
            "00000:0000:0000:0000:0000:0000:255.255.255.255", "g::1", ":", ":::", "1:2:3:4:5:6:1.2.3.4",
        ]
        for text in cases {
            XCTAssertEqual(IPAddress(text), reference(text), "\(text.debugDescription)")
        }
    }

    /// Strings of the bytes that matter to the grammar, short enough to hit every edge often.
    func testRandomDottedTextAgreesWithInetPton() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let alphabet = Array("0123456789..:a ".utf8) + [0]
        var accepted = 0
        for _ in 0..<200_000 {
            let length = Int(next() % 17)
            let bytes = (0..<length).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            let text = String(decoding: bytes, as: UTF8.self)
            let ours = IPAddress(text)
            XCTAssertEqual(ours, reference(text), "\(text.debugDescription)")
            if ours != nil { accepted += 1 }
        }
        // The generator must reach addresses too, or the comparison says little.
        XCTAssertGreaterThan(accepted, 100)
    }
}
