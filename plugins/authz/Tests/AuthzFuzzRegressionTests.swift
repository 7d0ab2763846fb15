import PortcullisPluginKit
import XCTest

@testable import AuthzPlugin

/// Requests the fuzzers (Tests/Fuzz) found, kept so the rules keep answering them right.
final class AuthzFuzzRegressionTests: XCTestCase {
    /// RequestPath.segments split on Characters, so a combining mark after a '/' hid the slash and a
    /// deny rule with a wildcard segment (a `.pattern` matcher) did not see `/files/<U+0301>x/delete`.
    func testADenyWithAWildcardSegmentSeesACombiningMarkAfterASlash() throws {
        let plugin = try authz("""
            [[rule]]
            name = "no deletes"
            effect = "deny"
            paths = ["/files/*/delete"]

            [[rule]]
            name = "files"
            paths = ["/files/**"]
            """)
        XCTAssertTrue(plugin.check("POST", "/files/x/edit").isAllow)
        XCTAssertFalse(plugin.check("POST", "/files/x/delete").isAllow)
        XCTAssertFalse(plugin.check("POST", "/files/\u{301}x/delete").isAllow)
    }
}

/// The rules file is TOML too: a header toml++ would parse with a broken precondition (it aborts
/// in debug builds) is a syntax error naming its line.
final class AuthzRulesTOMLFuzzRegressionTests: XCTestCase {
    func testATableHeaderWithABadKeyIsASyntaxErrorWithItsLine() {
        let error = ruleError("[[rule]]\nname = \"a\"\n\n[[\u{16}\u{16}rule]]\nname = \"admins\"\n")
        XCTAssertEqual(error?.line, 4)
        XCTAssertEqual(error?.message.hasPrefix("TOML syntax"), true)
    }
}
