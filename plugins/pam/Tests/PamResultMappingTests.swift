import XCTest
@testable import PamPlugin
import PortcullisPluginKit

/// The result table of plugins/pam/README.md, driven through real libpam: pam_debug.so returns
/// whatever code its arguments name, at the auth or the account stage.
final class PamResultMappingTests: XCTestCase {
    /// pam_debug's value names, the stage, and what the plugin must answer.
    static let table: [(code: String, stage: String, verdict: Verdict, reason: ReasonCode?)] = [
        ("success", "auth", .allow, nil),
        ("auth_err", "auth", .deny, .invalidCredentials),
        ("user_unknown", "auth", .deny, .invalidCredentials),
        ("user_unknown", "acct", .deny, .invalidCredentials),
        ("acct_expired", "acct", .deny, .accountExpired),
        ("acct_expired", "auth", .deny, .accountExpired),
        ("new_authtok_reqd", "acct", .deny, .expiredCredentials),
        ("cred_expired", "auth", .deny, .expiredCredentials),
        ("authtok_expired", "acct", .deny, .expiredCredentials),
        ("maxtries", "auth", .deny, .lockedOut),
        ("perm_denied", "acct", .deny, .insufficientPermissions),
        ("perm_denied", "auth", .error, .pluginError),
        // pam_unix without access to /etc/shadow, for an existing account: must look like an unknown one.
        ("authinfo_unavail", "auth", .deny, .invalidCredentials),
        ("authinfo_unavail", "acct", .error, .backendUnavailable),
        ("system_err", "auth", .error, .pluginError),
        ("service_err", "acct", .error, .pluginError),
        ("cred_insufficient", "auth", .error, .pluginError),
        ("conv_err", "auth", .error, .pluginError),
        ("abort", "auth", .error, .pluginError),
        ("try_again", "acct", .error, .pluginError),
        ("authtok_err", "auth", .error, .pluginError),
    ]

    func testEveryRowThroughLibpam() throws {
        let fixture = try PamFixture()
        for (index, row) in Self.table.enumerated() {
            let service = "row\(index)"
            // [default=die] hands pam_debug's code back unchanged; the other stage always succeeds.
            let auth = row.stage == "auth" ? "auth=\(row.code)" : ""
            let acct = row.stage == "acct" ? "acct=\(row.code)" : ""
            try fixture.writeService(service, """
                auth    [success=ok default=die] pam_debug.so \(auth)
                account [success=ok default=die] pam_debug.so \(acct)

                """)
            let outcome = fixture.authenticator(service: service).check("anyone", "anything")
            let label = "\(row.code) at \(row.stage): \(outcome)"
            switch (row.verdict, outcome) {
            case (.allow, .allow(let identity, _, _)):
                XCTAssertEqual(identity.principal, "anyone", label)
            case (.deny, .deny(let reason, let challenge, let detail, _)):
                XCTAssertEqual(reason, row.reason, label)
                XCTAssertNotNil(challenge, label)
                XCTAssertTrue(detail?.contains("PAM_\(row.code.uppercased())") ?? false, label)
            case (.error, .error(let reason, let detail)):
                XCTAssertEqual(reason, row.reason, label)
                XCTAssertTrue(detail.contains("PAM_\(row.code.uppercased())"), label)
            default:
                XCTFail("expected \(row.verdict.name) for \(label)")
            }
        }
        XCTAssertEqual(PamAuthenticator.openHandles, 0)
    }

    func testAccountStageIsSkippedWhenDisabled() throws {
        let fixture = try PamFixture()
        try fixture.writeService("acct", "auth required pam_permit.so\naccount required pam_debug.so acct=acct_expired\n")
        assertDeny(fixture.authenticator(service: "acct").check("anyone", "x"), .accountExpired)
        assertAllow(fixture.authenticator(service: "acct", account: false).check("anyone", "x"), principal: "anyone")
    }

    /// The same table without libpam, for codes pam_debug cannot return in a given stage.
    func testReasonTable() {
        XCTAssertEqual(PamResultMapping.reason(status: PAM_AUTH_ERR_CODE, stage: .authenticate).reason, .invalidCredentials)
        XCTAssertEqual(PamResultMapping.reason(status: 9_999, stage: .account).verdict, .error)
        XCTAssertEqual(PamResultMapping.reason(status: 9_999, stage: .account).reason, .pluginError)
        XCTAssertEqual(PamResultMapping.name(of: 9_999), "PAM code 9999")
    }
}

/// PAM_AUTH_ERR without importing the C module into the tests.
let PAM_AUTH_ERR_CODE: Int32 = 7
