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
