import Foundation
import PortcullisTestSupport
import XCTest

/// Issue 11, finding 4, against the real daemon: hmac's key file replaced by a FIFO once blocked
/// `open(2)` on an event loop and froze every stack. Now the SDK reads files off the request path
/// and refuses anything but a regular file without blocking, so the daemon keeps answering with
/// the keys it had, and says why in its log.
final class FIFOKeyFileTests: XCTestCase {
    typealias S = TestSupport

    func testAKeyFileReplacedByAFIFOFreezesNothing() async throws {
        let directory = try S.temporaryDirectory(self)
        let keys = directory + "/keys.jwks"
        try S.write(#"{"keys": [{"kty": "oct", "kid": "k1", "alg": "HS256", "k": "\#(String(repeating: "A", count: 43))"}]}"#, to: keys)
        let issued = try S.run(S.binDirectory + "/portcullis-token", ["issue", "--keys", keys, "--sub", "alice", "--ttl", "15m"])
        XCTAssertEqual(issued.status, 0, issued.stderr)
        let token = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try DaemonReloadTests.freePort()
        let daemon = try await RunningDaemon("""
            [server]
            listen = "127.0.0.1:\(port)"
            metrics_listen = "off"
            [cache]
            enabled = false
            [[stack.default]]
            plugin = "hmac"
            control = "required"
            keys = "\(keys)"
            reload_interval = 1
            """, port: port, directory: directory, test: self)
        let bearer = [("Authorization", "Bearer \(token)")]
        XCTAssertEqual(HTTPProbe.get(port: port, path: "/auth", headers: bearer, timeout: 5)?.status, 200)

        XCTAssertEqual(unlink(keys), 0)
        XCTAssertEqual(mkfifo(keys, 0o600), 0, "mkfifo failed")
        // Past the reload interval, several times over: every answer comes at once, with the old keys.
        for _ in 0..<6 {
            try await Task.sleep(for: .milliseconds(500))
            XCTAssertEqual(HTTPProbe.get(port: port, path: "/healthz", timeout: 2)?.status, 200)
            XCTAssertEqual(HTTPProbe.get(port: port, path: "/auth", headers: bearer, timeout: 2)?.status, 200)
        }
        XCTAssertTrue(daemon.isRunning)
        XCTAssertTrue(daemon.log.contains(keys), "the log names the file it refused:\n\(daemon.log)")
    }
}
