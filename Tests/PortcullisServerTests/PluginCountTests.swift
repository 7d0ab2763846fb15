import Foundation
import PortcullisTestSupport
import XCTest

/// The host's `count` service (ABI 1.2) end to end: the real daemon, the real authz plugin, and
/// its counters in the daemon's own `/metrics`.
final class PluginCountTests: XCTestCase {
    typealias S = TestSupport

    func testAuthzRuleMatchesAppearInMetrics() async throws {
        let port = try DaemonReloadTests.freePort()
        let metricsPort = try DaemonReloadTests.freePort()
        let directory = try S.temporaryDirectory(self)
        try S.write("""
            [[rule]]
            name = "trial: no secrets"
            effect = "deny"
            shadow = true
            paths = ["/api/secret/**"]

            [[rule]]
            name = "everyone reads"
            methods = ["GET"]
            paths = ["/api/**"]
            """, to: directory + "/rules.toml")
        _ = try await RunningDaemon("""
            [server]
            listen = "127.0.0.1:\(port)"
            metrics_listen = "127.0.0.1:\(metricsPort)"

            [proxy]
            trusted = ["127.0.0.1"]

            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "someone"

            [[stack.default]]
            plugin = "authz"
            control = "required"
            rules = "\(directory)/rules.toml"
            """, port: port, directory: directory, test: self)
        func auth(_ method: String, _ uri: String) -> Int? {
            HTTPProbe.get(port: port, path: "/auth", headers: [("X-Original-Method", method), ("X-Original-URI", uri)], timeout: 2)?.status
        }
        XCTAssertEqual(auth("GET", "/api/x"), 200)
        XCTAssertEqual(auth("GET", "/api/y"), 200)
        XCTAssertEqual(auth("GET", "/api/secret/1"), 200, "a shadow rule never denies")
        XCTAssertEqual(auth("POST", "/api/x"), 403)

        let body = HTTPProbe.get(port: metricsPort, path: "/metrics", timeout: 2)?.body ?? ""
        XCTAssertTrue(body.contains(#"portcullis_authz_rule_matches_total{stack="default",rule="everyone reads",effect="allow",shadow="false"} 3"#), body)
        XCTAssertTrue(body.contains(#"portcullis_authz_rule_matches_total{stack="default",rule="trial: no secrets",effect="deny",shadow="true"} 1"#), body)
        // The host's own metrics are still there, in the same registry.
        XCTAssertTrue(body.contains(#"portcullis_decisions_total{stack="default",decision="deny",reason="insufficient_permissions"} 1"#), body)
    }
}
