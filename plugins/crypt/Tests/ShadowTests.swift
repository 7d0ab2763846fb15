import Foundation
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

@testable import CryptPlugin

/// shadow(5) lines: the account's `expire` field is `account_expired`, a password older than `max`
/// days is `expired_credentials` — but only once the password verified.
final class ShadowTests: XCTestCase {
    func testExpiryReasons() throws {
        let hash = firstLine(try runTool("openssl", ["passwd", "-6", "-stdin"], input: Array("s3cret\n".utf8)))
        let today = Int(Date().timeIntervalSince1970) / 86_400
        let lines = [
            "# made by the test from openssl passwd -6",
            "fresh:\(hash):\(today - 10):0:99999:7:::",
            "noaging:\(hash):::::::",
            "expired-account:\(hash):\(today - 10):0:99999:7::\(today - 1):",
            "expires-today:\(hash):\(today - 10):0:99999:7::\(today):",
            "old-password:\(hash):\(today - 100):0:30:7:::",
            "must-change:\(hash):0:0:99999:7:::",
            "inactive:\(hash):\(today - 100):0:30:7:10::",
            "later:\(hash):\(today - 10):0:99999:7::\(today + 30):",
        ]
        let plugin = try makePlugin([("file", try writeFile(self, lines)), ("format", "shadow")])
        assertAllowed(plugin.check("fresh", "s3cret"), as: "fresh")
        assertAllowed(plugin.check("noaging", "s3cret"), as: "noaging")
        assertDenied(plugin.check("expired-account", "s3cret"), .accountExpired)
        assertDenied(plugin.check("expires-today", "s3cret"), .accountExpired)
        assertDenied(plugin.check("old-password", "s3cret"), .expiredCredentials)
        assertDenied(plugin.check("must-change", "s3cret"), .expiredCredentials)
        assertDenied(plugin.check("inactive", "s3cret"), .accountExpired)
        // A wrong password learns nothing about the account.
        for user in ["expired-account", "old-password", "must-change", "inactive"] {
            assertDenied(plugin.check(user, "guess"), .invalidCredentials)
        }
        // The allow is cacheable only until the account expires.
        guard case .allow(_, _, let ttl?) = plugin.check("later", "s3cret") else { return XCTFail("expected allow with a TTL") }
        XCTAssertGreaterThan(ttl, 29 * 86_400)
        XCTAssertLessThanOrEqual(ttl, 30 * 86_400)
    }

    func testDetectsShadowFormatAndRejectsBadFields() throws {
        let hash = firstLine(try runTool("mkpasswd", ["-m", "yescrypt", "--stdin"], input: Array("pw".utf8)))
        let lines = [
            "good:\(hash):19000:0:99999:7:::",
            "badnumber:\(hash):19000:0:ninety:7:::",
            "negative:\(hash):-1:0:99999:7:::",
            "short:\(hash):19000:0:99999",
        ]
        let recorder = LogRecorder()
        let path = try writeFile(self, lines)
        let plugin = try makePlugin([("file", path)], log: recorder.log)
        XCTAssertEqual(plugin.table.current().format, .shadow)
        assertAllowed(plugin.check("good", "pw"), as: "good")
        let warnings = recorder.all.filter { $0.0 == .warning }.map(\.1)
        XCTAssertEqual(warnings.count, 3, "\(warnings)")
        XCTAssertTrue(warnings[0].hasPrefix("\(path):2: field 'max'"), warnings[0])
        XCTAssertTrue(warnings[1].hasPrefix("\(path):3: field 'lastchg'"), warnings[1])
        XCTAssertTrue(warnings[2].hasPrefix("\(path):4: a shadow line has 9"), warnings[2])
        for user in ["badnumber", "negative", "short"] { assertDenied(plugin.check(user, "pw"), .invalidCredentials) }
    }

    func testAgingRules() {
        // shadow-utils isexpired(): expire > 0 and today >= expire; lastchg 0; max and inactive.
        XCTAssertNil(ShadowAging().refusal(today: 20_000))
        XCTAssertNil(ShadowAging(expiresOn: 0).refusal(today: 20_000), "0 is no expiry, as in shadow-utils")
        XCTAssertEqual(ShadowAging(expiresOn: 20_000).refusal(today: 20_000), .accountExpired)
        XCTAssertNil(ShadowAging(expiresOn: 20_001).refusal(today: 20_000))
        XCTAssertEqual(ShadowAging(lastChange: 19_970, maximumDays: 30).refusal(today: 20_000), .expiredCredentials)
        XCTAssertNil(ShadowAging(lastChange: 19_971, maximumDays: 30).refusal(today: 20_000))
        XCTAssertEqual(ShadowAging(lastChange: 19_960, maximumDays: 30, inactiveDays: 10).refusal(today: 20_000), .accountExpired)
        XCTAssertEqual(ShadowAging(lastChange: 19_961, maximumDays: 30, inactiveDays: 10).refusal(today: 20_000), .expiredCredentials)
        XCTAssertEqual(ShadowAging(lastChange: 0).refusal(today: 20_000), .expiredCredentials)
    }
}
