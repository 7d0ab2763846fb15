import Foundation
import Logging
import Portcullis
import PortcullisHummingbird
import PortcullisServer
import PortcullisTestSupport
import XCTest

/// The decision log (issue 17, item 5): `[log] format = "json"` writes one JSON line per decision
/// through swift-log, field by field as docs/configuration.md lists them, with no secret in it;
/// every answer carries the line's `decision_id` as `X-Auth-Decision-Id`; a valid `traceparent` is
/// logged and echoed, an invalid one ignored. Real crypt plugin (a real hash) through the real loader.
final class DecisionLogTests: XCTestCase {
    typealias S = TestSupport

    static let users = TestSupport.repositoryRoot + "/examples/demo/users.htpasswd"
    static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    static let bearerToken = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2VuLXBheWxvYWQ.c2lnbmF0dXJl"

    static func config(format: String? = "json") -> String {
        """
        [proxy]
        trusted = ["127.0.0.1"]
        \(format.map { "[log]\nformat = \"\($0)\"" } ?? "")
        [cache]
        enabled = false

        [[stack.default]]
        plugin = "crypt"
        control = "required"
        file = "\(users)"
        realm = "demo"
        """
    }

    /// A runtime whose gatekeeper logs into `log`.
    func runtime(_ toml: String, log: CapturedLog) throws -> DecisionRuntime {
        let gatekeeper = try S.gatekeeper(toml, logger: log.logger)
        let runtime = DecisionRuntime(gatekeeper: gatekeeper)
        addTeardownBlock { await runtime.shutdown() }
        return runtime
    }

    func request(authorization: String?, path: String = "/app/page?token=SECRETQUERY&x=1", traceparent: String? = nil) -> AuthRequest {
        var headers = [("Host", "app.example"), ("X-Forwarded-For", "203.0.113.9")]
        if let authorization { headers.append(("Authorization", authorization)) }
        if let traceparent { headers.append(("traceparent", traceparent)) }
        return AuthRequest(method: "GET", path: path, host: "app.example", headers: headers, peer: IPAddress("127.0.0.1"))
    }

    /// The JSON decision lines logged so far, parsed; fails unless each is a JSON object on one line.
    func jsonLines(_ log: CapturedLog, file: StaticString = #filePath, line: UInt = #line) throws -> [(text: String, object: [String: Any])] {
        try log.entries.filter { $0.message.hasPrefix("{") }.map { entry in
            XCTAssertEqual(entry.level, .info, file: file, line: line)
            XCTAssertEqual(entry.metadata, [:], "the JSON line is the whole message", file: file, line: line)
            XCTAssertFalse(entry.message.contains("\n"), "one line", file: file, line: line)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(entry.message.utf8)) as? [String: Any], file: file, line: line)
            return (entry.message, object)
        }
    }

    static let keys: Set<String> = [
        "time", "decision_id", "trace_id", "traceparent", "stack", "decision", "reason", "remedy", "status", "principal", "client",
        "client_source", "peer", "method", "host", "path", "credential", "entry", "detail", "note", "cached", "elapsed_us", "generation",
    ]

    func assertTime(_ value: Any?, file: StaticString = #filePath, line: UInt = #line) {
        let text = value as? String ?? ""
        XCTAssertNotNil(text.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression), text, file: file, line: line)
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = parser.date(from: text)
        XCTAssertNotNil(date, text, file: file, line: line)
        XCTAssertLessThan(abs(date?.timeIntervalSinceNow ?? 99), 30, "the time is now, in UTC", file: file, line: line)
    }

    func assertNoSecret(_ text: String, password: String, file: StaticString = #filePath, line: UInt = #line) {
        let basic = Data("alice:\(password)".utf8).base64EncodedString()
        for secret in [password, basic, Self.bearerToken, "SECRETQUERY", "token=", "?"] {
            XCTAssertFalse(text.contains(secret), "'\(secret)' in \(text)", file: file, line: line)
        }
    }

    func testAllowLineFieldByField() async throws {
        let log = CapturedLog()
        let runtime = try runtime(Self.config(), log: log)
        let decision = await runtime.decide(request(authorization: .basic("alice", "wonderland"), traceparent: Self.traceparent), stack: "default")
        XCTAssertTrue(decision.outcome.isAllowed)
        let lines = try jsonLines(log)
        XCTAssertEqual(lines.count, 1, "\(log.lines)")
        let (text, line) = try XCTUnwrap(lines.first)
        XCTAssertEqual(Set(line.keys), Self.keys, "every key, always")
        assertTime(line["time"])
        let id = try XCTUnwrap(line["decision_id"] as? String)
        XCTAssertNotNil(id.range(of: "^[0-9a-f]{32}$", options: .regularExpression), id)
        XCTAssertEqual(id, decision.id.description)
        XCTAssertEqual(decision.response.value(of: "X-Auth-Decision-Id"), id, "the answer carries the line's id")
        XCTAssertEqual(line["trace_id"] as? String, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertEqual(line["traceparent"] as? String, Self.traceparent)
        XCTAssertEqual(decision.response.value(of: "traceparent"), Self.traceparent, "echoed")
        XCTAssertEqual(line["stack"] as? String, "default")
        XCTAssertEqual(line["decision"] as? String, "allow")
        XCTAssertTrue(line["reason"] is NSNull)
        XCTAssertTrue(line["remedy"] is NSNull)
        XCTAssertEqual(line["status"] as? Int, 200)
        XCTAssertEqual(line["principal"] as? String, "alice")
        XCTAssertEqual(line["client"] as? String, "203.0.113.9")
        XCTAssertEqual(line["client_source"] as? String, "from x-forwarded-for via trusted proxy 127.0.0.1")
        XCTAssertEqual(line["peer"] as? String, "127.0.0.1")
        XCTAssertEqual(line["method"] as? String, "GET")
        XCTAssertEqual(line["host"] as? String, "app.example")
        XCTAssertEqual(line["path"] as? String, "/app/page", "without the query")
        XCTAssertEqual(line["credential"] as? String, #"Basic user="alice""#)
        let entry = try XCTUnwrap(line["entry"] as? [String: Any])
        XCTAssertEqual(entry["index"] as? Int, 0)
        XCTAssertEqual(entry["plugin"] as? String, "crypt")
        XCTAssertEqual(line["detail"] as? String, decision.outcome.trace.first?.detail)
        XCTAssertTrue(line["note"] is NSNull)
        XCTAssertEqual(line["cached"] as? Bool, false)
        XCTAssertGreaterThan(line["elapsed_us"] as? Int ?? -1, 0, "crypt takes time")
        XCTAssertEqual(line["generation"] as? Int, decision.gatekeeper.generation)
        XCTAssertGreaterThan(decision.gatekeeper.generation, 0)
        assertNoSecret(text, password: "wonderland")
    }

    func testDenyLineFieldByField() async throws {
        let log = CapturedLog()
        let runtime = try runtime(Self.config(), log: log)
        let decision = await runtime.decide(request(authorization: .basic("alice", "not-the-password")), stack: "default")
        XCTAssertEqual(decision.outcome.reason, .invalidCredentials)
        let (text, line) = try XCTUnwrap(try jsonLines(log).first)
        XCTAssertEqual(Set(line.keys), Self.keys)
        assertTime(line["time"])
        XCTAssertEqual(line["decision_id"] as? String, decision.response.value(of: "X-Auth-Decision-Id"), "a deny's answer carries it too")
        XCTAssertTrue(line["trace_id"] is NSNull)
        XCTAssertTrue(line["traceparent"] is NSNull)
        XCTAssertNil(decision.response.value(of: "traceparent"))
        XCTAssertEqual(line["decision"] as? String, "deny")
        XCTAssertEqual(line["reason"] as? String, "invalid_credentials")
        XCTAssertEqual(line["remedy"] as? String, Remedy.generic(.invalidCredentials))
        XCTAssertEqual(line["status"] as? Int, 401)
        XCTAssertTrue(line["principal"] is NSNull, "principal on allow only")
        XCTAssertEqual(line["client"] as? String, "203.0.113.9")
        XCTAssertEqual(line["peer"] as? String, "127.0.0.1")
        XCTAssertEqual(line["path"] as? String, "/app/page")
        XCTAssertEqual(line["credential"] as? String, #"Basic user="alice""#)
        let entry = try XCTUnwrap(line["entry"] as? [String: Any])
        XCTAssertEqual(entry["index"] as? Int, 0)
        XCTAssertEqual(entry["plugin"] as? String, "crypt")
        XCTAssertEqual(line["generation"] as? Int, decision.gatekeeper.generation)
        assertNoSecret(text, password: "not-the-password")
        // The remedy is the operator's: not in the client's answer, header or body.
        let response = decision.response
        let remedy = Remedy.generic(.invalidCredentials)
        XCTAssertFalse(String(decoding: response.body, as: UTF8.self).contains(remedy.prefix(30)))
        XCTAssertFalse(response.headers.contains { $0.value.contains(remedy.prefix(30)) })
    }

    /// A bearer token (unsupported here) and a control character in the path: the token is in no
    /// line, the escape and newline are JSON escapes that read back as what was sent.
    func testTokenAndControlCharactersNeverReachTheLineRaw() async throws {
        let log = CapturedLog()
        let runtime = try runtime(Self.config(), log: log)
        let path = "/app/\u{1B}[31mred\nforged line\u{7F}?token=SECRETQUERY"
        let decision = await runtime.decide(request(authorization: "Bearer " + Self.bearerToken, path: path), stack: "default")
        XCTAssertEqual(decision.outcome.reason, .unsupportedScheme)
        let (text, line) = try XCTUnwrap(try jsonLines(log).first)
        XCTAssertTrue(text.contains(#"\u001b[31mred\nforged line\u007f""#), text)
        XCTAssertFalse(text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "no raw control character")
        XCTAssertEqual(line["path"] as? String, "/app/\u{1B}[31mred\nforged line\u{7F}")
        XCTAssertEqual(line["credential"] as? String, "Bearer (\(Self.bearerToken.utf8.count) bytes)")
        XCTAssertEqual(line["remedy"] as? String,
                       "The request carries Bearer (\(Self.bearerToken.utf8.count) bytes), and this stack accepts Basic: the client must send one of those, or the stack needs an entry that takes this scheme.")
        assertNoSecret(text, password: "wonderland")
    }

    /// Invalid `traceparent` values are ignored: same decision, no trace id, nothing echoed.
    func testInvalidTraceparentIsIgnored() async throws {
        let log = CapturedLog()
        let runtime = try runtime(Self.config(), log: log)
        let invalid = [
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero parent id
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",   // short
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",  // flags
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",  // delimiters
            "",
        ]
        for value in invalid {
            let decision = await runtime.decide(request(authorization: .basic("alice", "wonderland"), traceparent: value), stack: "default")
            XCTAssertTrue(decision.outcome.isAllowed, "never a deny: \(value)")
            XCTAssertNil(decision.response.value(of: "traceparent"), value)
        }
        // Two headers are no trace context either.
        var twice = request(authorization: .basic("alice", "wonderland"), traceparent: Self.traceparent)
        twice.headers.append(HTTPHeader("traceparent", Self.traceparent))
        let decision = await runtime.decide(twice, stack: "default")
        XCTAssertNil(decision.response.value(of: "traceparent"))
        let lines = try jsonLines(log)
        XCTAssertEqual(lines.count, invalid.count + 1)
        XCTAssertTrue(lines.allSatisfy { $0.object["trace_id"] is NSNull && $0.object["traceparent"] is NSNull })
        XCTAssertEqual(Set(lines.compactMap { $0.object["decision_id"] as? String }).count, lines.count, "an id per decision")
    }

    /// The text format stays the `decision` line with its metadata, and gains the id and the remedy.
    func testTextFormatIsTheDefault() async throws {
        let log = CapturedLog()
        let runtime = try runtime(Self.config(format: nil), log: log)
        let decision = await runtime.decide(request(authorization: .basic("alice", "nope"), traceparent: Self.traceparent), stack: "default")
        let entry = try XCTUnwrap(log.entries.first { $0.message == "decision" })
        XCTAssertEqual(Set(entry.metadata.keys), [
            "stack", "decision", "decision_id", "status", "method", "path", "client", "peer", "credential", "micros", "cached", "reason",
            "remedy", "trace_id", "detail",
        ])
        XCTAssertEqual(entry.metadata["decision_id"], "\(decision.id)")
        XCTAssertEqual(entry.metadata["remedy"], "\(Remedy.generic(.invalidCredentials))")
        XCTAssertEqual(entry.metadata["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertEqual(entry.metadata["path"], "/app/page")
        XCTAssertFalse(log.lines.contains { $0.hasPrefix("{") })
    }

    /// Nothing is logged, and no line is built, when info is not let through.
    func testNoLineBelowInfo() async throws {
        let log = CapturedLog()
        var logger = log.logger
        logger.logLevel = .notice
        let gatekeeper = try S.gatekeeper(Self.config(), logger: logger)
        let runtime = DecisionRuntime(gatekeeper: gatekeeper)
        let decision = await runtime.decide(request(authorization: .basic("alice", "wonderland")), stack: "default")
        await runtime.shutdown()
        XCTAssertTrue(decision.outcome.isAllowed)
        XCTAssertNotNil(decision.response.value(of: "X-Auth-Decision-Id"), "the id is sent regardless")
        XCTAssertEqual(log.entries.filter { $0.level == .info }.count, 0, "\(log.lines)")
    }

    /// `generation` goes up with every load taken, not with a refused reload.
    func testGenerationGoesUpOnEachReloadTaken() async throws {
        let directory = try S.temporaryDirectory(self)
        let path = directory + "/portcullis.toml"
        try S.write(Self.config(), to: path)
        let log = CapturedLog()
        let server = try ForwardAuthServer(configPath: path, logger: log.logger)
        let first = server.runtime.gatekeepers.current.generation
        let reloaded = await server.reload()
        XCTAssertTrue(reloaded)
        let second = server.runtime.gatekeepers.current.generation
        XCTAssertGreaterThan(second, first)
        try S.write("[log]\nformat = \"yaml\"\n" + Self.config(format: nil), to: path)
        let refused = await server.reload()
        XCTAssertFalse(refused)
        XCTAssertEqual(server.runtime.gatekeepers.current.generation, second, "a refused reload is no new generation")
        _ = await server.runtime.decide(request(authorization: .basic("alice", "wonderland")), stack: "default")
        XCTAssertEqual(try jsonLines(log).last?.object["generation"] as? Int, second)
        await server.runtime.shutdown()
    }

    /// A token claim exposed as the attribute `decision_id` would be `X-Auth-Decision-Id`
    /// (attribute `decision_id`, prefix `X-Auth-`): it cannot stand in for the runtime's id, which
    /// the answer carries once. Real hmac plugin, a token minted by `portcullis token issue`.
    func testATokenClaimCannotForgeTheDecisionID() async throws {
        let keys = S.repositoryRoot + "/examples/demo/keys.jwks"
        let minted = try S.run(S.binDirectory + "/portcullis", ["token", "issue", "--keys", keys, "--sub", "carol", "--ttl", "5m",
                                                                "--claim", "decision_id=forged-by-the-client"])
        XCTAssertEqual(minted.status, 0, minted.stderr)
        let token = minted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let log = CapturedLog()
        let runtime = try runtime("""
            [[stack.default]]
            plugin = "hmac"
            control = "required"
            keys = "\(keys)"
            expose = ["decision_id"]
            """, log: log)
        let decision = await runtime.decide(AuthRequest(headers: [("Authorization", "Bearer " + token)], peer: IPAddress("127.0.0.1")), stack: "default")
        XCTAssertEqual(decision.outcome.principal, "carol")
        XCTAssertEqual(decision.outcome.attributes.first { $0.name == "decision_id" }?.value, "forged-by-the-client", "the claim did come through")
        let ids = decision.response.headers.filter { $0.name.equalsIgnoringASCIICase("X-Auth-Decision-Id") }
        XCTAssertEqual(ids.map(\.value), [decision.id.description])
    }
}
