import Portcullis
import PortcullisTestSupport
import XCTest

/// Arguments the csrf entry cannot use fail the configuration, naming the file and the argument;
/// a valid but dangerous one (an exemption of every path) too.
final class CsrfConfigurationTests: XCTestCase {
    private func error(_ arguments: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try TestSupport.gatekeeper("""
                [[stack.default]]
                plugin = "csrf"
                control = "requisite"
                \(arguments)
                """)
            XCTFail("accepted: \(arguments)", file: file, line: line)
            return ""
        } catch {
            let message = String(describing: error)
            XCTAssertTrue(message.contains("test.toml"), message, file: file, line: line)
            return message
        }
    }

    private func assertError(_ arguments: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        let message = error(arguments, file: file, line: line)
        XCTAssertTrue(message.contains(expected), "\(message)\nexpected: \(expected)", file: file, line: line)
    }

    func testAConfiguredOriginMustBeExactlySchemeHostAndPort() {
        let cases: [(String, String)] = [
            ("https://intranet.example.com/", "has a path (an origin ends after the host and port; no trailing '/')"),
            ("https://intranet.example.com/app", "has a path"),
            ("https://intranet.example.com?x=1", "has a query or fragment"),
            ("https://intranet.example.com#top", "has a query or fragment"),
            ("https://alice@intranet.example.com", "has userinfo ('user@'); an origin has none"),
            ("intranet.example.com", "has no scheme (write it as scheme://host[:port], e.g. https://intranet.example.com)"),
            ("//intranet.example.com", "has no scheme"),
            ("intranet.example.com:443", "has no scheme"),
            ("ftp://intranet.example.com", "has scheme 'ftp' (only http and https)"),
            ("https://", "has no host"),
            ("https://:8443", "has no host"),
            ("https://intranet.example.com:", "has port '' (a number in 1...65535)"),
            ("https://intranet.example.com:0", "has port '0'"),
            ("https://intranet.example.com:65536", "has port '65536'"),
            ("https://intranet.example.com:84a", "has port '84a'"),
            ("https://[::1", "has an unclosed '['"),
            ("https://[intranet]", "has '[intranet]', not an IPv6 address"),
            ("https://intränet.example.com", "has host 'intränet.example.com' with characters a browser never sends (write an IDN as xn--…)"),
            ("https://intranet example.com", "has host 'intranet example.com' with characters a browser never sends"),
        ]
        for (origin, problem) in cases {
            assertError(#"origins = ["https://ok.example.com", "\#(origin)"]"#, "argument 'origins' entry 2: '\(origin)' is not an origin: it \(problem)")
        }
    }

    func testOriginsAreCanonicalized() throws {
        let gatekeeper = try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "csrf"
            control = "requisite"
            origins = ["HTTPS://Intranet.Example.com:443", "http://localhost:80", "http://localhost:8080", "https://[0:0::1]:8443"]

            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "alice"
            """)
        for (origin, passes) in [
            ("https://intranet.example.com", true), ("http://localhost", true), ("http://localhost:8080", true),
            ("https://[::1]:8443", true), ("http://localhost:8081", false), ("https://localhost", false),
        ] {
            let outcome = gatekeeper.evaluate(AuthRequest(method: "POST", headers: [("Origin", origin), ("Cookie", "a=1")], peer: nil))
            XCTAssertEqual(outcome.decision, passes ? .allow : .deny, origin)
        }
    }

    func testExemptPathsMustBePathPatternsAndNotEverything() {
        assertError(#"exempt_paths = ["hooks/github"]"#, "argument 'exempt_paths' entry 1: path pattern 'hooks/github' must start with '/'")
        assertError(#"exempt_paths = ["/ok", "/hooks?x"]"#, "argument 'exempt_paths' entry 2: path pattern '/hooks?x' must not contain '?'")
        assertError(#"exempt_paths = ["/hooks%2Fgithub"]"#, "is not a valid path")
        assertError(#"exempt_paths = ["/**"]"#, "argument 'exempt_paths' entry 1: '/**' exempts every path; remove the csrf entry instead")
        assertError(#"exempt_paths = ["//**"]"#, "exempts every path")
    }

    func testChoicesAreChecked() {
        assertError(#"missing = "maybe""#, "argument 'missing' must be allow or deny, not 'maybe'")
        assertError(#"ambient = "cookie""#, "argument 'ambient' must be cookie+basic or always, not 'cookie'")
        assertError(#"allow_same_site = "yes""#, "argument 'allow_same_site' must be true or false")
        assertError(#"origin = ["https://intranet.example.com"]"#, "unknown argument 'origin'")
    }
}
