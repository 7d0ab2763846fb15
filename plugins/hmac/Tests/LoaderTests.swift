import Foundation
import HmacPlugin
import Logging
import Portcullis
import PortcullisPluginKit
import Synchronization
import PortcullisTestSupport
import XCTest

/// The real `libportcullis-hmac.so` through the host's loader and dispatcher: exact outcomes,
/// statuses and challenges, as a client would see them.
final class LoaderTests: XCTestCase {
    /// Read when used: XCTest makes every test case at the start of the run, so a stored value
    /// would be as old as the run when a test reads it (and a 20 s token already expired).
    var now: Double { Date().timeIntervalSince1970.rounded(.down) }
    let key = randomKey(kid: "2026-11")

    /// A gatekeeper with one `hmac` entry, its key file in a fresh directory.
    func gatekeeper(keys: [HmacKey]? = nil, extra: String = "", logger: Logger = Logger(label: "test")) throws -> (Gatekeeper, URL) {
        let directory = try TestSupport.temporaryDirectoryURL(self)
        let keyFile = directory.appendingPathComponent("keys.jwks")
        try TestSupport.replaceAtomically(keyFile, with: jwks(keys ?? [key]))
        let config = try Configuration(parsing: """
            [[stack.default]]
            plugin = "hmac"
            control = "required"
            keys = "\(keyFile.path)"
            realm = "api"
            audience = ["billing"]
            expose = ["role", "scope"]
            \(extra)
            """, file: "test.toml")
        return (try Gatekeeper(configuration: config, logger: logger), keyFile)
    }

    func request(_ authorization: String?) -> AuthRequest {
        AuthRequest(headers: authorization.map { [("Authorization", $0)] } ?? [], peer: IPAddress("127.0.0.1"))
    }

    func token(_ extra: [String: JSONValue] = [:], key: HmacKey? = nil) -> String {
        var claims: [String: JSONValue] = ["sub": .string("alice"), "aud": .string("billing"), "exp": .number(now + 600), "role": .string("admin")]
        claims.merge(extra) { $1 }
        return TokenIssuer.issue(claims: claims, key: key ?? self.key)
    }

    func testAGoodTokenIsAllowed() throws {
        let (gatekeeper, _) = try gatekeeper(extra: "reload_interval = 60")
        let outcome = gatekeeper.evaluate(request("Bearer \(token())"))
        XCTAssertEqual(outcome.decision, .allow, "\(outcome.trace)")
        XCTAssertEqual(outcome.status, 200)
        XCTAssertEqual(outcome.principal, "alice")
        XCTAssertEqual(outcome.attributes, [Attribute("role", "admin")])
        // Bounded by the token's remaining lifetime and by the reload interval.
        let ttl = try XCTUnwrap(outcome.cacheTTL)
        XCTAssertTrue((59...60).contains(ttl), "\(ttl)")
        let shortLived = gatekeeper.evaluate(request("Bearer \(token(["exp": .number(now + 20)]))"))
        XCTAssertTrue((0...20).contains(try XCTUnwrap(shortLived.cacheTTL)), "\(String(describing: shortLived.cacheTTL))")
    }

    func testNoTokenOffersTheBearerChallengeWithoutAnError() throws {
        let (gatekeeper, _) = try gatekeeper()
        let outcome = gatekeeper.evaluate(request(nil))
        XCTAssertEqual(outcome.decision, .deny)
        XCTAssertEqual(outcome.reason, .missingCredentials)
        XCTAssertEqual(outcome.status, 401)
        XCTAssertEqual(outcome.challenges, [#"Bearer realm="api""#])

        let basic = gatekeeper.evaluate(request("Basic " + Data("alice:secret".utf8).base64EncodedString()))
        XCTAssertEqual(basic.decision, .deny)
        XCTAssertEqual(basic.challenges, [#"Bearer realm="api""#])
    }

    func testEveryDenyHasItsReasonStatusAndChallenge() throws {
        let (gatekeeper, _) = try gatekeeper()
        let invalid = #"Bearer realm="api", error="invalid_token""#
        let cases: [(String, String, ReasonCode, Int, String)] = [
            ("expired", "Bearer \(token(["exp": .number(now - 31)]))", .expiredCredentials, 401,
             #"Bearer realm="api", error="invalid_token", error_description="The access token expired""#),
            ("bad signature", "Bearer \(token(key: HmacKey(kid: "2026-11", algorithm: .hs256, secret: randomKey(kid: "x").secret)))",
             .invalidCredentials, 401, invalid),
            ("unknown kid", "Bearer \(token(key: randomKey(kid: "2025-01")))", .invalidCredentials, 401, invalid),
            ("wrong audience", "Bearer \(token(["aud": .string("reports")]))", .invalidCredentials, 401,
             #"Bearer realm="api", error="invalid_token", error_description="The access token is not meant for this audience""#),
            ("not yet valid", "Bearer \(token(["nbf": .number(now + 3600)]))", .invalidCredentials, 401,
             #"Bearer realm="api", error="invalid_token", error_description="The access token is not yet valid""#),
            ("malformed token", "Bearer abc.def", .malformedCredentials, 401,
             #"Bearer realm="api", error="invalid_token", error_description="The access token is malformed""#),
            ("padded token", "Bearer \(token())=", .malformedCredentials, 401,
             #"Bearer realm="api", error="invalid_token", error_description="The access token is malformed""#),
            ("malformed header", "Bearer two words", .malformedCredentials, 400, #"Bearer realm="api", error="invalid_request""#),
        ]
        for (name, authorization, reason, status, challenge) in cases {
            let outcome = gatekeeper.evaluate(request(authorization))
            XCTAssertEqual(outcome.decision, .deny, name)
            XCTAssertEqual(outcome.reason, reason, name)
            XCTAssertEqual(outcome.status, status, name)
            XCTAssertEqual(outcome.challenges, [challenge], name)
            XCTAssertFalse(outcome.trace.contains { ($0.detail ?? "").contains(authorization.dropFirst(7)) }, "\(name): the token must not reach the trace")
        }
    }

    func testRevocationAndRotationThroughTheLoader() throws {
        let directory = try TestSupport.temporaryDirectoryURL(self)
        let revokedFile = directory.appendingPathComponent("revoked")
        try TestSupport.replaceAtomically(revokedFile, with: "")
        let logs = CapturedLog()
        let logger = logs.logger
        let (gatekeeper, keyFile) = try gatekeeper(extra: "revoked = \"\(revokedFile.path)\"\nreload_interval = 1", logger: logger)
        let leaked = token(["jti": .string("leaked-1")])
        XCTAssertEqual(gatekeeper.evaluate(request("Bearer \(leaked)")).decision, .allow)
        try TestSupport.replaceAtomically(revokedFile, with: "leaked-1\n")
        // Files are looked at in the background: the change is served soon, never waited for.
        XCTAssertTrue(TestSupport.eventually { gatekeeper.evaluate(request("Bearer \(leaked)")).reason == .revokedCredentials })
        let revoked = gatekeeper.evaluate(request("Bearer \(leaked)"))
        XCTAssertEqual(revoked.reason, .revokedCredentials)
        XCTAssertEqual(revoked.challenges, [#"Bearer realm="api", error="invalid_token", error_description="The access token was revoked""#])

        let next = randomKey(kid: "2026-12")
        try TestSupport.replaceAtomically(keyFile, with: jwks([next]))
        XCTAssertTrue(TestSupport.eventually { gatekeeper.evaluate(request("Bearer \(token(key: next))")).decision == .allow })
        XCTAssertEqual(gatekeeper.evaluate(request("Bearer \(token())")).reason, .invalidCredentials, "the retired key no longer verifies")

        // A broken key file keeps the keys in use, and the log says why without any key.
        try TestSupport.replaceAtomically(keyFile, with: #"{"keys":[{"kty":"oct","kid":"short","alg":"HS256","k":"AAAA"}]}"#)
        XCTAssertEqual(gatekeeper.evaluate(request("Bearer \(token(key: next))")).decision, .allow)
        // Requests schedule the looks (at most one a second): keep asking until one has run.
        XCTAssertTrue(TestSupport.eventually {
            _ = gatekeeper.evaluate(request("Bearer \(token(key: next))"))
            return logs.lines.contains { $0.contains("keeping the previous keys") }
        }, "\(logs.lines)")
        XCTAssertEqual(gatekeeper.evaluate(request("Bearer \(token(key: next))")).decision, .allow)
        let failure = try XCTUnwrap(logs.entries.first { $0.message.contains("keeping the previous keys") }, "\(logs.lines)")
        XCTAssertTrue(failure.message.contains(keyFile.path))
        XCTAssertEqual(failure.level, .error, "the keys in force are stale: the operator must act")
        let secret = TokenIssuer.encode(next.secret.withUnsafeBytes { Array($0) })
        XCTAssertFalse(logs.lines.contains { $0.contains(secret) || $0.contains(leaked) })
    }

    /// The key file replaced by a FIFO used to block open(2) in the one request that noticed the
    /// change, on the event loop, until some writer came: the daemon froze. Now checks return at
    /// once with the old keys, and the log names the file and why it was refused.
    func testAKeyFileReplacedByAFIFONeitherBlocksNorLosesTheKeys() throws {
        let logs = CapturedLog()
        let (gatekeeper, keyFile) = try gatekeeper(extra: "reload_interval = 1", logger: logs.logger)
        let good = "Bearer \(token())"
        XCTAssertEqual(gatekeeper.evaluate(request(good)).decision, .allow)
        try FileManager.default.removeItem(at: keyFile)
        XCTAssertEqual(mkfifo(keyFile.path, 0o600), 0)
        defer {
            // Should a check still block in open(2), a writer lets it go, so the suite goes on.
            let writer = open(keyFile.path, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
        }

        let answered = expectation(description: "checks answer while the key file is a FIFO")
        let decisions = Mutex<[Outcome.Decision]>([])
        let request = self.request(good)
        let refused = "keeping the previous keys: \(keyFile.path): not a regular file"
        DispatchQueue.global().async {
            // At least 50 checks, and on until one has scheduled the look that meets the FIFO
            // (requests schedule one a second).
            let deadline = ContinuousClock.now + .seconds(8)
            while decisions.withLock({ $0.count }) < 50 || (!logs.lines.contains(refused) && ContinuousClock.now < deadline) {
                let decision = gatekeeper.evaluate(request).decision
                decisions.withLock { $0.append(decision) }
                usleep(1_000)
            }
            answered.fulfill()
        }
        wait(for: [answered], timeout: 10)
        let all = decisions.withLock { $0 }
        XCTAssertGreaterThanOrEqual(all.count, 50)
        XCTAssertEqual(Set(all), [.allow], "the old keys stay in force")
        XCTAssertTrue(logs.lines.contains(refused), "\(logs.lines)")
    }

    func testConfigurationErrorsNameTheProblem() throws {
        XCTAssertThrowsError(try gatekeeper(extra: #"algorithms = ["none"]"#)) { error in
            XCTAssertTrue(String(describing: error).contains("unknown argument 'algorithms'"), "\(error)")
        }
        XCTAssertThrowsError(try gatekeeper(keys: [randomKey(kid: "weak", bytes: 16)])) { error in
            XCTAssertTrue(String(describing: error).contains("needs at least 32"), "\(error)")
        }
    }

    func testConcurrentChecksOnOneInstance() throws {
        let (gatekeeper, _) = try gatekeeper()
        let good = token()
        let bad = token(["aud": .string("reports")])
        let request = { @Sendable (authorization: String) in
            AuthRequest(headers: [("Authorization", authorization)], peer: IPAddress("127.0.0.1"))
        }
        let wrong = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 2000) { index in
            let outcome = gatekeeper.evaluate(request("Bearer \(index % 2 == 0 ? good : bad)"))
            let expected: Outcome.Decision = index % 2 == 0 ? .allow : .deny
            if outcome.decision != expected { wrong.withLock { $0 += 1 } }
        }
        XCTAssertEqual(wrong.withLock { $0 }, 0)
    }
}
