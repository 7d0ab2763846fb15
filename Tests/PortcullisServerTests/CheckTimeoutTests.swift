import Foundation
import PortcullisTestSupport
import XCTest

/// A blocking plugin that hangs cannot freeze the daemon: the check is answered 503
/// `backend_unavailable` at `check_timeout` while the call finishes on the pool, other requests
/// keep being answered, and the timeout is counted in /metrics.
final class CheckTimeoutTests: XCTestCase {
    typealias S = TestSupport

    func testAHangingBlockingPluginIsAnsweredAtTheDeadline() async throws {
        let directory = try S.temporaryDirectory(self)
        try S.compileCountingPlugin(into: directory, blocking: true)
        let port = try DaemonReloadTests.freePort()
        let metricsPort = try DaemonReloadTests.freePort()
        let daemon = try await RunningDaemon("""
            plugin_dir = "\(directory)"

            [server]
            listen = "127.0.0.1:\(port)"
            metrics_listen = "127.0.0.1:\(metricsPort)"
            check_timeout = 1

            [[stack.default]]
            plugin = "counting"
            control = "required"
            count_file = "\(directory)/calls"
            password = "pw"
            sleep_ms = 4000
            """, port: port, directory: directory, test: self)

        // The plugin holds its thread for 4 s; the client gives up after 3 s.
        let stuck = Task.detached {
            HTTPProbe.get(port: port, path: "/auth", headers: [("Authorization", String.basic("alice", "pw"))], timeout: 3)
        }
        var entered = false
        for _ in 0..<50 where !entered {
            entered = S.countedCalls(directory + "/calls") > 0
            if !entered { try await Task.sleep(for: .milliseconds(20)) }
        }
        XCTAssertTrue(entered, "the plugin was not called")
        XCTAssertEqual(HTTPProbe.get(port: port, path: "/healthz", timeout: 0.5)?.status, 200, "/healthz waited for the plugin")

        let answer = await stuck.value
        XCTAssertEqual(answer?.status, 503, "no answer before the plugin returned:\n\(daemon.log.suffix(2000))")
        XCTAssertTrue(answer?.head.lowercased().contains("retry-after:") == true, answer?.head ?? "")
        XCTAssertTrue(answer?.body.contains("backend_unavailable") == true, answer?.body ?? "")

        let metrics = HTTPProbe.get(port: metricsPort, path: "/metrics", timeout: 2)
        XCTAssertTrue(metrics?.body.contains(#"portcullis_check_timeouts_total{stack="default"} 1"#) == true, metrics?.body ?? "no /metrics")
    }
}
