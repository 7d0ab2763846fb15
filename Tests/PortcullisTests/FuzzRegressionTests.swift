import PortcullisNetwork
import PortcullisProtocol
import XCTest

@testable import Portcullis

/// Inputs the fuzzers (Tests/Fuzz, docs/fuzzing.md) found, kept so they stay fixed.
final class FuzzRegressionTests: XCTestCase {
    /// inet_pton reads a C string: an address with a NUL in it was the address before the NUL.
    func testAnAddressWithANULIsNoAddress() throws {
        for text in ["1.2.3.4\u{0}", "1.2.3.4\u{0}junk", "::\u{0}\u{0}", "2001:db8::1\u{0}x", "\u{0}1.2.3.4"] {
            XCTAssertNil(IPAddress(text), text.debugDescription)
            XCTAssertThrowsError(try IPPrefix(parsing: text), text.debugDescription)
            XCTAssertThrowsError(try IPPrefix(parsing: text + "/32"), text.debugDescription)
        }
        // Through the proxy resolver: a hop with a NUL is unusable, so the client is unknown.
        let resolver = ClientAddressResolver(trusted: [try IPPrefix(parsing: "10.0.0.0/8")])
        let resolution = resolver.resolve(peer: IPAddress("10.0.0.1"), headers: [HTTPHeader("X-Forwarded-For", "198.51.100.7\u{0}")])
        XCTAssertNil(resolution.client)
    }
}

/// toml++ (inside TOMLKit) aborts in debug builds, and has undefined behaviour in release ones,
/// on a table header whose key starts with a character no key starts with; found by the authz
/// fuzzer. The configuration refuses such a file with its line before TOMLKit sees it.
final class ConfigurationFuzzRegressionTests: XCTestCase {
    func testATableHeaderWithABadKeyIsASyntaxErrorWithItsLine() {
        for (text, line) in [("[[!stack.default]]\nplugin = \"x\"\n", 1), ("[proxy]\ntrusted = []\n[[[stack]]]\n", 3), ("[=", 1)] {
            XCTAssertThrowsError(try Configuration(parsing: text, file: "portcullis.toml"), text) { error in
                guard let error = error as? ConfigError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.line, line, text)
                XCTAssertTrue(error.message.hasPrefix("TOML syntax"), error.message)
            }
        }
    }
}
