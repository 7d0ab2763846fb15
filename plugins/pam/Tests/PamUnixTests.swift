import Foundation
import PamPlugin
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

/// A real system account checked through pam_unix.so (reading /etc/shadow as root), in a
/// service file under a temporary confdir. Needs root for useradd/chpasswd/chage/passwd/userdel;
/// CI runs as root. The account is removed in tearDown whatever happens.
final class PamUnixTests: XCTestCase {
    var fixture: PamFixture!
    var user = ""
    let password = "Tr0ub4dor&3 ünïcode"

    override func setUpWithError() throws {
        guard geteuid() == 0 else {
            let reason = "PamUnixTests need root to create a system account (useradd, chpasswd, chage, passwd -l); running as uid \(geteuid())"
            print("skipped: \(reason)")
            throw XCTSkip(reason)
        }
        fixture = try PamFixture()
        // Like /etc/pam.d/common-auth and common-account, without nullok; pam_unix keeps its ~2 s fail delay.
        try fixture.writeService("portcullis", """
            auth     required pam_unix.so
            account  required pam_unix.so

            """)
        user = "pctest\(getpid() % 100_000)x\(UInt32.random(in: 0..<1_000_000))"
        try run("/usr/sbin/useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", user)
        try run("/usr/sbin/chpasswd", input: "\(user):\(password)\n")
    }

    override func tearDown() {
        if !user.isEmpty { _ = try? run("/usr/sbin/userdel", user) }
        XCTAssertEqual(PamAuthenticator.openHandles, 0)
        fixture = nil
    }

    var authenticator: PamAuthenticator { fixture.authenticator(service: "portcullis") }

    func testRightPasswordAllowsWithSystemAttributes() throws {
        let outcome = authenticator.check(user, password)
        guard case .allow(let identity, _, _) = outcome else { return XCTFail("expected allow, got \(outcome)") }
        XCTAssertEqual(identity.principal, user)
        let uid = try run("/usr/bin/id", "-u", user).trimmingCharacters(in: .whitespacesAndNewlines)
        let gid = try run("/usr/bin/id", "-g", user).trimmingCharacters(in: .whitespacesAndNewlines)
        let groups = try run("/usr/bin/id", "-Gn", user).split(whereSeparator: \.isWhitespace).joined(separator: ",")
        XCTAssertEqual(identity.attributes, [Attribute("uid", uid), Attribute("gid", gid), Attribute("groups", groups)])
    }

    func testWrongPasswordIsDeniedWithPamUnixFailDelay() {
        let outcome = authenticator.check(user, password + "!")
        assertDeny(outcome, .invalidCredentials)
        // pam_unix asks for 2 s, which libpam randomizes by up to ±50 %; it was reported, not slept
        // (plus at most one typical hash time of padding, see AuthenticationTiming).
        guard let delay = outcome.failDelay else { return XCTFail("no fail delay in \(outcome)") }
        XCTAssertGreaterThanOrEqual(delay, .milliseconds(1000))
        XCTAssertLessThanOrEqual(delay, .milliseconds(3500))
        XCTAssertFalse(outcome.detail?.contains(password) ?? true)
    }

    func testUnknownUserLooksLikeWrongPassword() {
        assertDeny(authenticator.check(user + "nope", password), .invalidCredentials)
    }

    func testUnknownUserIsPaddedToTheTimeOfARealHash() throws {
        // Without pam_unix's own delay, an unknown user is answered at once while a real password
        // costs a yescrypt hash: the plugin pads the difference into the fail delay.
        try fixture.writeService("nodelay", "auth required pam_unix.so nodelay\naccount required pam_unix.so\n")
        let authenticator = fixture.authenticator(service: "nodelay")
        assertAllow(authenticator.check(user, password), principal: user)
        let unknown = authenticator.check(user + "nope", password)
        assertDeny(unknown, .invalidCredentials)
        XCTAssertGreaterThan(unknown.failDelay ?? .zero, .zero, "\(unknown)")
    }

    func testExpiredAccount() throws {
        try run("/usr/bin/chage", "-E", "0", user)
        assertDeny(authenticator.check(user, password), .accountExpired)
    }

    func testExpiredPassword() throws {
        try run("/usr/bin/chage", "-d", "0", user)
        assertDeny(authenticator.check(user, password), .expiredCredentials)
    }

    func testLockedAccount() throws {
        try run("/usr/bin/passwd", "-l", user)
        // pam_unix reports a locked password ("!" in /etc/shadow) as PAM_AUTH_ERR: no hint it exists.
        assertDeny(authenticator.check(user, password), .invalidCredentials)
    }

    func testConcurrentChecksAgainstShadow() {
        let authenticator = fixture.authenticator(service: "portcullis", maxConcurrent: 8)
        let user = self.user, password = self.password
        let outcomes = runConcurrently(count: 16) { _ in authenticator.check(user, password) }
        for outcome in outcomes { assertAllow(outcome, principal: user) }
    }

    /// Runs a system tool; throws with its output when it fails.
    @discardableResult
    func run(_ tool: String, _ arguments: String..., input: String? = nil) throws -> String {
        let result = try TestSupport.run(tool, arguments, input: Array((input ?? "").utf8))
        guard result.status == 0 else {
            throw FixtureError(description: "\(tool) \(arguments.joined(separator: " ")) exited \(result.status): \(result.output)")
        }
        return result.stdout
    }
}
