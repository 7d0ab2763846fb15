import Foundation
import PortcullisTestSupport
import XCTest

/// The real `portcullis serve` with `[log] format = "json"`: each decision is one bare JSON line
/// on standard error (no text prefix, so a log shipper reads it as JSON), and its `decision_id` is
/// the `X-Auth-Decision-Id` of the answer, on allow and on deny; a `traceparent` is echoed. The
/// remedy is in the log, never in the answer.
final class DecisionLogDaemonTests: XCTestCase {
    typealias S = TestSupport

    func testDecisionIDInTheAnswerIsTheOneInTheLog() async throws {
        let directory = try S.temporaryDirectory(self)
        let port = try S.freePort()
        let daemon = try await RunningDaemon("""
            [server]
            listen = "127.0.0.1:\(port)"
            metrics_listen = "off"
            [proxy]
            trusted = ["127.0.0.1"]
            [log]
            format = "json"

            [[stack.default]]
            plugin = "crypt"
            control = "required"
            file = "\(S.repositoryRoot)/examples/demo/users.htpasswd"
            realm = "demo"
            """, port: port, directory: directory, test: self)
        let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        let original = [("X-Original-Method", "GET"), ("X-Original-URI", "/docs/a?api_key=QUERYSECRET"), ("X-Forwarded-For", "198.51.100.20")]
        let allow = try XCTUnwrap(HTTPProbe.get(port: port, path: "/auth", headers: original + [
            ("Authorization", String.basic("alice", "wonderland")), ("traceparent", traceparent),
        ], timeout: 5))
        let deny = try XCTUnwrap(HTTPProbe.get(port: port, path: "/auth", headers: original + [
            ("Authorization", String.basic("alice", "guess")),
        ], timeout: 5))
        XCTAssertEqual(allow.status, 200)
        XCTAssertEqual(deny.status, 401)

        func header(_ name: String, _ answer: HTTPProbe.Answer) -> String? {
            answer.head.split(separator: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
        let allowID = try XCTUnwrap(header("X-Auth-Decision-Id", allow), allow.head)
        let denyID = try XCTUnwrap(header("X-Auth-Decision-Id", deny), deny.head)
        XCTAssertNotEqual(allowID, denyID)
        XCTAssertEqual(header("traceparent", allow), traceparent)
        XCTAssertNil(header("traceparent", deny))

        // The lines are written after the answers; give the daemon a moment to flush them.
        var lines: [[String: Any]] = []
        for _ in 0..<50 {
            lines = daemon.log.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            if lines.count >= 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTAssertEqual(lines.count, 2, daemon.log)
        let allowLine = try XCTUnwrap(lines.first { $0["decision_id"] as? String == allowID }, daemon.log)
        let denyLine = try XCTUnwrap(lines.first { $0["decision_id"] as? String == denyID }, daemon.log)
        XCTAssertEqual(allowLine["principal"] as? String, "alice")
        XCTAssertEqual(allowLine["trace_id"] as? String, "0af7651916cd43dd8448eb211c80319c")
        XCTAssertEqual(allowLine["path"] as? String, "/docs/a")
        XCTAssertEqual(allowLine["client"] as? String, "198.51.100.20")
        XCTAssertEqual(allowLine["generation"] as? Int, 1, "the daemon's first load")
        XCTAssertEqual(denyLine["reason"] as? String, "invalid_credentials")
        let remedy = try XCTUnwrap(denyLine["remedy"] as? String)
        XCTAssertFalse(deny.head.contains(remedy.prefix(25)) || deny.body.contains(remedy.prefix(25)), "the remedy is the operator's")
        for secret in ["wonderland", "guess", "QUERYSECRET", "YWxpY2U6"] {
            XCTAssertFalse(daemon.log.contains(secret), "\(secret) in the daemon's log")
        }
    }
}
