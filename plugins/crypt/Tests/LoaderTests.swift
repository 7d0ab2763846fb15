import Foundation
import Portcullis
import PortcullisTestSupport
import XCTest

/// The real `libportcullis-crypt.so` through the host's loader and dispatcher.
final class LoaderTests: XCTestCase {
    func gatekeeper(file: String, extra: String = "", log: CapturedLog = CapturedLog()) throws -> Gatekeeper {
        try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "crypt"
            control = "required"
            file = "\(file)"
            realm = "internal API"
            \(extra)
            """, logger: log.logger)
    }

    func request(_ authorization: String?) -> AuthRequest {
        AuthRequest(headers: authorization.map { [("Authorization", $0)] } ?? [], peer: IPAddress("127.0.0.1"))
    }

    func basic(_ user: [UInt8], _ password: [UInt8]) -> String {
        "Basic " + Data(user + [UInt8(ascii: ":")] + password).base64EncodedString()
    }

    func basic(_ user: String, _ password: String) -> String { basic(Array(user.utf8), Array(password.utf8)) }

    let challenge = #"Basic realm="internal API", charset="UTF-8""#

    /// The same through the real loader: the hash text is no password, and `config check`
    /// shows the skipped line and the plaintext count among its warnings.
    func testAllowPlaintextNeverTakesAHashForAPassword() throws {
        let argon = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
        let file = try writeFile(self, ["dave:plainpw", "bob:\(argon)"])
        let gatekeeper = try gatekeeper(file: file, extra: "allow_plaintext = true")
        XCTAssertEqual(gatekeeper.evaluate(request(basic("bob", argon))).reason, .invalidCredentials)
        XCTAssertEqual(gatekeeper.evaluate(request(basic("dave", "plainpw"))).principal, "dave")
        XCTAssertTrue(gatekeeper.warnings.contains { $0.hasPrefix("stack.default[0] (crypt): \(file):2: unrecognised password hash for user 'bob'") },
                      "\(gatekeeper.warnings)")
        XCTAssertTrue(gatekeeper.warnings.contains { $0.contains("1 user has a plaintext password") }, "\(gatekeeper.warnings)")
    }

    func testVerdictsThroughTheHost() throws {
        let latin1: [UInt8] = [0x70, 0xE4, 0x73, 0x73, 0x3A, 0x77, 0xF6, 0x72, 0x64]
        let tool = TestSupport.binDirectory + "/portcullis-hash"
        let lines = [
            firstLine(try runTool(tool, ["--user", "alice", "--scheme", "bcrypt", "--cost", "4"], input: Array("a:b c".utf8))),
            firstLine(try runTool("htpasswd", ["-n", "-i", "-m", "bob"], input: latin1)),
            "carol:!",
        ]
        let gatekeeper = try gatekeeper(file: try writeFile(self, lines))
        let library = try XCTUnwrap(gatekeeper.plugins.first { $0.name == "crypt" })
        XCTAssertTrue(library.isBlocking)
        XCTAssertTrue(gatekeeper.stack(named: "default")?.isBlocking ?? false)

        let allowed = gatekeeper.evaluate(request(basic("alice", "a:b c")))
        XCTAssertEqual(allowed.decision, .allow)
        XCTAssertEqual(allowed.principal, "alice")
        XCTAssertEqual(gatekeeper.evaluate(request(basic(Array("bob".utf8), latin1))).principal, "bob")

        for (authorization, reason) in [
            (basic("alice", "a:b"), ReasonCode.invalidCredentials),
            (basic("mallory", "a:b c"), .invalidCredentials),
            (basic("carol", ""), .invalidCredentials),
            (basic("bob", "päss:wörd"), .invalidCredentials),
            ("Basic not-base64!", .malformedCredentials),
            (nil, .missingCredentials),
        ] {
            let outcome = gatekeeper.evaluate(request(authorization))
            XCTAssertEqual(outcome.decision, .deny, "\(authorization ?? "none")")
            XCTAssertEqual(outcome.reason, reason, "\(authorization ?? "none")")
            XCTAssertEqual(outcome.status, 401)
            XCTAssertEqual(outcome.challenges, [challenge], "\(authorization ?? "none")")
        }
        // A Bearer token is not crypt's business: it steps aside, and the stack ends without a decision.
        let bearer = gatekeeper.evaluate(request("Bearer abc.def"))
        XCTAssertEqual(bearer.decision, .deny)
        XCTAssertEqual(bearer.challenges, [challenge])
    }

    func testShadowExpiryThroughTheHost() throws {
        let hash = firstLine(try runTool("openssl", ["passwd", "-6", "-stdin"], input: Array("pw\n".utf8)))
        let today = Int(Date().timeIntervalSince1970) / 86_400
        let lines = ["gone:\(hash):\(today - 10):0:99999:7::\(today - 1):", "stale:\(hash):\(today - 100):0:30:7:::"]
        let gatekeeper = try gatekeeper(file: try writeFile(self, lines), extra: #"format = "shadow""#)
        XCTAssertEqual(gatekeeper.evaluate(request(basic("gone", "pw"))).reason, .accountExpired)
        XCTAssertEqual(gatekeeper.evaluate(request(basic("stale", "pw"))).reason, .expiredCredentials)
        XCTAssertEqual(gatekeeper.evaluate(request(basic("stale", "px"))).reason, .invalidCredentials)
    }

    func testReloadUnderARunningHost() throws {
        let path = try writeFile(self, [firstLine(try runTool("htpasswd", ["-n", "-i", "-B", "-C", "4", "alice"], input: Array("one".utf8)))])
        // The plugin's own reload is under test, not the host's verification cache (which keeps
        // an answer up to its TTL: 60 s for an allow by default).
        let log = CapturedLog()
        let gatekeeper = try gatekeeper(file: path, extra: "[cache]\nenabled = false", log: log)
        XCTAssertEqual(gatekeeper.evaluate(request(basic("alice", "one"))).decision, .allow)

        let next = path + ".new"
        let lines = [
            firstLine(try runTool("htpasswd", ["-n", "-i", "-B", "-C", "4", "alice"], input: Array("two".utf8))),
            firstLine(try runTool("htpasswd", ["-n", "-i", "-5", "dave"], input: Array("four".utf8))),
        ]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: next))
        XCTAssertEqual(rename(next, path), 0)
        // The plugin looks at the file at most once a second, in the background.
        XCTAssertTrue(TestSupport.eventually { gatekeeper.evaluate(request(basic("dave", "four"))).principal == "dave" })
        XCTAssertEqual(gatekeeper.evaluate(request(basic("alice", "two"))).principal, "alice")
        XCTAssertEqual(gatekeeper.evaluate(request(basic("alice", "one"))).reason, .invalidCredentials)

        // Deleted: the look that finds it gone (requests schedule one a second) logs an error, and
        // the previous table keeps serving.
        try FileManager.default.removeItem(atPath: path)
        XCTAssertTrue(TestSupport.eventually {
            _ = gatekeeper.evaluate(request(basic("dave", "four")))
            return log.entries.contains { $0.level == .error && $0.message.contains("keeping the previous table") }
        }, "\(log.lines)")
        XCTAssertEqual(gatekeeper.evaluate(request(basic("dave", "four"))).principal, "dave")
    }

    func testArgumentErrorsAreLoadErrors() throws {
        let path = try writeFile(self, ["a:{SHA}x"])
        XCTAssertThrowsError(try gatekeeper(file: path, extra: #"hash = "md5""#)) { error in
            XCTAssertTrue("\(error)".contains("unknown argument 'hash'"), "\(error)")
        }
        XCTAssertThrowsError(try gatekeeper(file: path + ".missing")) { error in
            XCTAssertTrue("\(error)".contains("cannot open"), "\(error)")
        }
    }
}
