import Foundation
import PortcullisTestSupport
import XCTest

/// `portcullis token revoke|revocations` as an operator runs it: arguments checked before any
/// daemon is asked, a daemon that cannot be reached is exit status 2, and every other `token`
/// subcommand still runs `portcullis-token`. (Against real daemons: FleetRevocationTests.)
final class TokenRevokeCommandTests: XCTestCase {
    func portcullis(_ arguments: [String]) throws -> ProcessResult {
        try TestSupport.run(TestSupport.binDirectory + "/portcullis", arguments)
    }

    func testBadArgumentsAreRefusedBeforeAnyDaemonIsAsked() throws {
        let socket = try TestSupport.temporaryDirectory(self) + "/admin.sock"
        let cases: [([String], String)] = [
            (["--jti", "a"], "give --ttl or --until"),
            (["--jti", "a", "--ttl", "1h", "--until", "2030-01-01T00:00:00Z"], "give --ttl or --until"),
            (["--jti", "a", "--ttl", "0"], "is not a duration"),
            (["--jti", "a", "--ttl", "12x"], "is not a duration"),
            (["--jti", "a", "--until", "tomorrow"], "is not an ISO 8601 time"),
            (["--jti", "a", "--until", "2001-01-01T00:00:00Z"], "is in the past"),
        ]
        for (arguments, message) in cases {
            let result = try portcullis(["token", "revoke", "--socket", socket] + arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.output)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.output)")
        }
    }

    func testADaemonThatCannotBeReachedIsExitStatus2() throws {
        let socket = try TestSupport.temporaryDirectory(self) + "/admin.sock"
        let revoke = try portcullis(["token", "revoke", "--socket", socket, "--jti", "a", "--ttl", "15m"])
        XCTAssertEqual(revoke.status, 2, revoke.output)
        XCTAssertTrue(revoke.stderr.contains("cannot reach the daemon"), revoke.output)
        let list = try portcullis(["token", "revocations", "--socket", socket])
        XCTAssertEqual(list.status, 2, list.output)
    }

    func testOtherTokenSubcommandsStillRunTheTool() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let keys = directory + "/keys.jwks"
        try TestSupport.write(#"{"keys": [{"kty": "oct", "kid": "k1", "alg": "HS256", "k": "\#(String(repeating: "Q", count: 43))"}]}"#, to: keys)
        let issued = try portcullis(["token", "issue", "--keys", keys, "--sub", "alice", "--no-jti"])
        XCTAssertEqual(issued.status, 0, issued.output)
        let token = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let verified = try portcullis(["token", "verify", "--keys", keys, token])
        XCTAssertEqual(verified.status, 0, verified.output)
        XCTAssertTrue(verified.stdout.contains(#""sub":"alice""#), verified.output)
        XCTAssertFalse(verified.stdout.contains("jti"), "--no-jti leaves the claim out: \(verified.output)")
    }
}
