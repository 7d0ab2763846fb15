import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// The trusted-proxy resolver: right-to-left walks, spoofing, hostile headers.
final class ClientAddressResolverTests: XCTestCase {
    let proxies = [try! IPPrefix(parsing: "10.0.0.0/8"), try! IPPrefix(parsing: "2001:db8:1::/48")]

    func resolve(_ peer: String?, _ headers: [(String, String)], header: ClientAddressResolver.Header = .xForwardedFor) -> IPAddress? {
        ClientAddressResolver(trusted: proxies, header: header)
            .resolve(peer: peer.flatMap { IPAddress($0) }, headers: headers.map { HTTPHeader($0.0, $0.1) }).client
    }

    func testUntrustedPeerIsTheClientAndItsHeadersAreIgnored() {
        XCTAssertEqual(resolve("203.0.113.5", [("X-Forwarded-For", "198.51.100.1")]), IPAddress("203.0.113.5"))
        XCTAssertEqual(resolve("203.0.113.5", [("Forwarded", "for=198.51.100.1")], header: .forwarded), IPAddress("203.0.113.5"))
    }

    func testTrustedProxyWalksFromTheRightPastTrustedHops() {
        // A client-supplied (spoofed) leftmost value is never reached.
        XCTAssertEqual(resolve("10.0.0.1", [("X-Forwarded-For", "1.2.3.4, 198.51.100.7, 10.0.0.2")]), IPAddress("198.51.100.7"))
        XCTAssertEqual(resolve("10.0.0.1", [("X-Forwarded-For", "1.2.3.4"), ("x-forwarded-for", "198.51.100.7")]), IPAddress("198.51.100.7"))
        // Every hop trusted: the leftmost.
        XCTAssertEqual(resolve("10.0.0.1", [("X-Forwarded-For", "10.9.9.9, 10.0.0.2")]), IPAddress("10.9.9.9"))
        // No header from a trusted proxy: the proxy itself.
        XCTAssertEqual(resolve("10.0.0.1", []), IPAddress("10.0.0.1"))
    }

    func testForwardedHeader() {
        XCTAssertEqual(resolve("10.0.0.1", [("Forwarded", #"for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711""#)], header: .forwarded),
                       IPAddress("2001:db8:cafe::17"))
        XCTAssertEqual(resolve("10.0.0.1", [("Forwarded", #"For="198.51.100.3:8080", for=10.1.1.1"#)], header: .forwarded), IPAddress("198.51.100.3"))
        XCTAssertEqual(resolve("2001:db8:1::5", [("Forwarded", "for=192.0.2.43")], header: .forwarded), IPAddress("192.0.2.43"))
    }

    /// Malformed chains, `unknown` and obfuscated identifiers fail closed: the client is unknown.
    func testHostileChainsFailClosed() {
        for value in ["for=unknown", "for=_hidden", #"for="[2001:db8::1""#, "for=1.2.3.4;for=5.6.7.8", "proto=http",
                      "for=", #"for="unterminated"#, "for=1.2.3.4,,", "for=1.2.3.4 junk"] {
            XCTAssertNil(resolve("10.0.0.1", [("Forwarded", value)], header: .forwarded), value)
        }
        for value in ["garbage", "1.2.3.4, 5.6.7.8, ", "1.2.3.4:99999", "1.2.3", "::ffff:1.2.3.4.5", ""] {
            XCTAssertNil(resolve("10.0.0.1", [("X-Forwarded-For", value)]), value)
        }
        XCTAssertNil(resolve(nil, []))
    }

    /// RFC 7239 §4: proxies append. Whatever the client wrote left of the first untrusted hop
    /// is never parsed, so it cannot unset the client (which made pam skip PAM_RHOST).
    func testAMalformedElementLeftOfTheClientIsNeverParsed() {
        for spoof in ["x", #"for="unterminated"#, "for=1.2.3.4;for=5.6.7.8", "for=_hidden", ",,", #"for="a\", b"#] {
            // The proxy appends to the client's header line ...
            XCTAssertEqual(resolve("10.0.0.1", [("Forwarded", "\(spoof), for=198.51.100.4")], header: .forwarded), IPAddress("198.51.100.4"), spoof)
            // ... or adds a line of its own.
            XCTAssertEqual(resolve("10.0.0.1", [("Forwarded", spoof), ("Forwarded", "for=198.51.100.4")], header: .forwarded),
                           IPAddress("198.51.100.4"), spoof)
            // Behind two trusted proxies, the walk passes the trusted hop and still stops at the client.
            XCTAssertEqual(resolve("10.0.0.1", [("Forwarded", #"\#(spoof), for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.2"#)],
                                   header: .forwarded), IPAddress("2001:db8:cafe::17"), spoof)
        }
        for spoof in ["garbage", "", "1.2.3.4:99999", "unknown"] {
            XCTAssertEqual(resolve("10.0.0.1", [("X-Forwarded-For", "\(spoof), 198.51.100.4")]), IPAddress("198.51.100.4"), spoof)
        }
        // A malformed element reached by the walk (right of every untrusted hop) still fails closed.
        XCTAssertNil(resolve("10.0.0.1", [("Forwarded", "for=198.51.100.4, x")], header: .forwarded))
        XCTAssertNil(resolve("10.0.0.1", [("Forwarded", "for=198.51.100.4, for=10.0.0.2;junk")], header: .forwarded))
    }

    func testIPv4MappedPeerMatchesIPv4Proxies() {
        XCTAssertEqual(resolve("::ffff:10.0.0.1", [("X-Forwarded-For", "198.51.100.9")]), IPAddress("198.51.100.9"))
    }

    /// All plugins see the resolved address: the debug plugin echoes what crossed the ABI.
    func testPluginsSeeTheResolvedClient() throws {
        let gatekeeper = try TestSupport.gatekeeper("""
            [proxy]
            trusted = ["127.0.0.1"]
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "echo"
            echo = true
            """)
        let spoofed = gatekeeper.evaluate(AuthRequest(headers: [("X-Forwarded-For", "6.6.6.6")], peer: IPAddress("192.0.2.1")))
        XCTAssertEqual(spoofed.attributes.first { $0.name == "client" }?.value, "192.0.2.1")
        let proxied = gatekeeper.evaluate(AuthRequest(headers: [("X-Forwarded-For", "6.6.6.6")], peer: IPAddress("127.0.0.1")))
        XCTAssertEqual(proxied.attributes.first { $0.name == "client" }?.value, "6.6.6.6")
        XCTAssertEqual(proxied.attributes.first { $0.name == "peer" }?.value, "127.0.0.1")
    }

    func testPrefixParsing() throws {
        XCTAssertThrowsError(try IPPrefix(parsing: "10.0.0.1/8")) { error in
            XCTAssertEqual("\(error)", "'10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)")
        }
        XCTAssertThrowsError(try IPPrefix(parsing: "10.0.0.0/33"))
        XCTAssertThrowsError(try IPPrefix(parsing: "10.0.0.0/+8"))
        XCTAssertThrowsError(try IPPrefix(parsing: "010.0.0.1"))
        XCTAssertTrue(try IPPrefix(parsing: "0.0.0.0/0").contains(IPAddress("255.1.2.3")!))
        XCTAssertTrue(try IPPrefix(parsing: "::/0").contains(IPAddress("2001:db8::1")!))
        XCTAssertFalse(try IPPrefix(parsing: "::/0").contains(IPAddress("1.2.3.4")!), "only prefixes inside ::ffff:0:0/96 match IPv4")
        XCTAssertTrue(try IPPrefix(parsing: "::ffff:0:0/96").contains(IPAddress("1.2.3.4")!))
        XCTAssertTrue(try IPPrefix(parsing: "192.0.2.0/24").contains(IPAddress("::ffff:192.0.2.200")!))
        XCTAssertEqual(IPAddress("2001:db8::1")?.description, "2001:db8::1")
        XCTAssertEqual(IPAddress(bytes: [192, 0, 2, 1]), IPAddress("192.0.2.1"))
    }
}
