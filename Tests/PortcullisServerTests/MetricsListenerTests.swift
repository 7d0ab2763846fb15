import Foundation
import PortcullisTestSupport
import XCTest

/// /metrics (per-request plugin timings) is served on its own listener, never on the public auth
/// listener where anyone who can reach /auth could read it.
final class MetricsListenerTests: XCTestCase {
    typealias S = TestSupport

    func testMetricsOnlyOnTheirOwnListener() async throws {
        let port = try DaemonReloadTests.freePort()
        let metricsPort = try DaemonReloadTests.freePort()
        _ = try await RunningDaemon("""
            [server]
            listen = "127.0.0.1:\(port)"
            metrics_listen = "127.0.0.1:\(metricsPort)"

            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "someone"
            """, port: port, directory: try S.temporaryDirectory(self), test: self)
        XCTAssertEqual(HTTPProbe.get(port: port, path: "/auth", timeout: 2)?.status, 200)
        XCTAssertEqual(HTTPProbe.get(port: port, path: "/metrics", timeout: 2)?.status, 404)

        let metrics = HTTPProbe.get(port: metricsPort, path: "/metrics", timeout: 2)
        XCTAssertEqual(metrics?.status, 200)
        XCTAssertTrue(metrics?.body.contains(#"portcullis_decisions_total{stack="default",decision="allow",reason="none"} 1"#) == true,
                      metrics?.body ?? "")
        // The metrics listener answers nothing else.
        XCTAssertEqual(HTTPProbe.get(port: metricsPort, path: "/auth", timeout: 2)?.status, 404)
    }
}
