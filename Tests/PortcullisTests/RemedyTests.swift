import Foundation
import Portcullis
import PortcullisTestSupport
import XCTest

/// `check` and the log name the remedy (issue 17, item 6): every reason code has one sentence for
/// the operator, documented in docs/reasons.md word for word; the real `portcullis check` prints it
/// (`remedy:` line, `"remedy"` in `--json`) for every reason, on the demo configuration and on a
/// stack per reason; where the request shows the cause the sentence says it; and it is never in
/// what the client gets.
final class RemedyTests: XCTestCase {
    typealias S = TestSupport
    let portcullis = TestSupport.binDirectory + "/portcullis"
    let demo = TestSupport.repositoryRoot + "/examples/demo/portcullis.toml"
    let users = TestSupport.repositoryRoot + "/examples/demo/users.htpasswd"

    /// `check --json` on `config` with `arguments`: the report, its exit status, and the text form's remedy line.
    func check(_ config: String, _ arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line)
        throws -> (json: [String: Any], text: String, stderr: String)
    {
        let json = try S.run(portcullis, ["check", "--config", config, "--json"] + arguments)
        XCTAssertNotEqual(json.status, 2, json.stderr, file: file, line: line)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], json.stdout, file: file, line: line)
        let text = try S.run(portcullis, ["check", "--config", config] + arguments)
        return (object, text.stdout, json.stderr + text.stderr)
    }

    /// The remedy `check` printed, after checking the text and JSON forms agree and that the
    /// client's answer (headers, body) does not carry it.
    func remedy(_ config: String, _ arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try remedyAndReport(config, arguments, file: file, line: line).remedy
    }

    func remedyAndReport(_ config: String, _ arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line)
        throws -> (remedy: String, json: [String: Any], stderr: String)
    {
        let (json, text, stderr) = try check(config, arguments, file: file, line: line)
        let remedy = try XCTUnwrap(json["remedy"] as? String, "no remedy in \(json)", file: file, line: line)
        XCTAssertFalse(remedy.isEmpty, file: file, line: line)
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("  remedy:") }
        XCTAssertEqual(lines.count, 1, text, file: file, line: line)
        let printed = lines.first?.dropFirst("  remedy:".count).trimmingCharacters(in: .whitespaces)
        XCTAssertEqual(printed.map(Self.elapsedMasked), Self.elapsedMasked(remedy), file: file, line: line)
        let answer = text.components(separatedBy: "  response headers:").dropFirst().joined()
        XCTAssertFalse(answer.contains(remedy.prefix(25)), "the remedy is in the client's answer:\n\(text)", file: file, line: line)
        return (remedy, json, stderr)
    }

    /// The remedy with "expired N s ago" masked: the text and JSON forms come from two runs of
    /// `check`, and a second may tick between them (CI saw "2 s" beside "1 s").
    static func elapsedMasked(_ remedy: String) -> String {
        remedy.replacingOccurrences(of: #"expired [0-9]+ (s|min|h|days) ago"#, with: "expired … ago", options: .regularExpression)
    }

    /// docs/reasons.md's remedy table, reason code → sentence (backticks dropped).
    func documentedRemedies() throws -> [String: String] {
        let text = try String(contentsOfFile: S.repositoryRoot + "/docs/reasons.md", encoding: .utf8)
        let table = try XCTUnwrap(text.components(separatedBy: "| reason | remedy |\n|---|---|\n").dropFirst().first, "no remedy table")
        var remedies: [String: String] = [:]
        for row in table.split(separator: "\n", omittingEmptySubsequences: false) {
            guard row.hasPrefix("|") else { break }
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "") }
            remedies[cells[0]] = cells.count > 1 ? cells[1] : ""
        }
        return remedies
    }

    func testEveryReasonHasADocumentedRemedy() throws {
        let documented = try documentedRemedies()
        for reason in ReasonCode.allCases {
            let text = try XCTUnwrap(documented[reason.code], "docs/reasons.md has no remedy for \(reason.code)")
            XCTAssertEqual(text, Remedy.generic(reason), "docs/reasons.md and Remedy.generic differ for \(reason.code)")
        }
        XCTAssertEqual(Set(documented.keys), Set(ReasonCode.allCases.map(\.code)), "a documented reason that does not exist")
    }

    /// One stack per reason code (the debug plugin denies with it): `check` prints the remedy for each.
    func testCheckPrintsARemedyForEveryReason() throws {
        let directory = try S.temporaryDirectory(self)
        let file = directory + "/reasons.toml"
        try S.write(ReasonCode.allCases.map { reason in
            """
            [[stack.\(reason.code)]]
            plugin = "debug"
            control = "required"
            result = "deny"
            reason = "\(reason.code)"
            challenge = 'Basic realm="t"'
            """
        }.joined(separator: "\n"), to: file)
        for reason in ReasonCode.allCases {
            let remedy = try remedy(file, ["--stack", reason.code])
            if reason == .unsupportedScheme {
                XCTAssertEqual(remedy, "The request carries no credential, and this stack accepts Basic: the client must send one of those, "
                    + "or the stack needs an entry that takes this scheme.")
            } else {
                XCTAssertEqual(remedy, Remedy.generic(reason), reason.code)
            }
        }
        let allow = try check(demo, ["--header", "Authorization: " + .basic("alice", "wonderland")])
        XCTAssertTrue(allow.json["remedy"] is NSNull, "no remedy on allow")
        XCTAssertFalse(allow.text.contains("remedy:"), allow.text)
    }

    /// Each reason the demo configuration can produce, as an operator would meet it.
    func testCheckPrintsARemedyForEachReasonOfTheDemo() throws {
        let cases: [(ReasonCode, [String])] = [
            (.missingCredentials, []),
            (.malformedCredentials, ["--header", "Authorization: Basic !!!not-base64"]),
            (.unsupportedScheme, ["--header", #"Authorization: Digest username="x", response="s3cr3tdigest""#]),
            (.invalidCredentials, ["--header", "Authorization: " + .basic("alice", "wrong")]),
            (.ipNotAllowed, ["--header", "X-Forwarded-For: 192.0.2.7"]),
            (.insufficientPermissions, ["--stack", "api", "--method", "DELETE", "--path", "/api/users/7", "--header", "Authorization: " + .basic("bob", "builder")]),
        ]
        for (reason, arguments) in cases {
            let (remedy, json, stderr) = try remedyAndReport(demo, arguments)
            XCTAssertEqual(json["reason"] as? String, reason.code, "\(arguments)")
            if reason == .unsupportedScheme {
                XCTAssertTrue(remedy.contains("this stack accepts Bearer, Basic"), remedy)
                XCTAssertFalse(remedy.contains("s3cr3tdigest"), remedy)
            } else {
                XCTAssertEqual(remedy, Remedy.generic(reason), reason.code)
            }
            XCTAssertEqual(stderr, "", "check logs nothing on stderr by default")
        }
    }

    /// `missing_credentials` from a trusted proxy that sent the credential under another name.
    func testRenamedAuthorizationHeader() throws {
        let file = try config("""
            [proxy]
            trusted = ["127.0.0.1"]
            [[stack.default]]
            plugin = "crypt"
            control = "required"
            file = "\(users)"
            """)
        let proxyValue = "Basic " + Data("alice:PROXYSECRET".utf8).base64EncodedString()
        for header in ["Proxy-Authorization", "X-Forwarded-Authorization"] {
            let remedy = try remedy(file, ["--peer", "127.0.0.1", "--header", "\(header): \(proxyValue)"])
            XCTAssertTrue(remedy.contains("The trusted proxy sent \(header) but no Authorization: the proxy renamed or consumed the Authorization header"), remedy)
            XCTAssertFalse(remedy.contains("PROXYSECRET") || remedy.contains(proxyValue), remedy)
        }
        // From a peer that is no proxy of ours, or with Authorization present, it is not the cause.
        XCTAssertEqual(try remedy(file, ["--peer", "10.9.9.9", "--header", "Proxy-Authorization: \(proxyValue)"]), Remedy.generic(.missingCredentials))
        XCTAssertEqual(try remedy(file, ["--peer", "127.0.0.1"]), Remedy.generic(.missingCredentials))
    }

    /// `ip_not_allowed` where the list judged the proxy, because it sent no forwarding header.
    func testProxyWithoutForwardingHeader() throws {
        func file(_ header: String?) throws -> String {
            try config("""
                [proxy]
                trusted = ["127.0.0.1"]
                \(header.map { "header = \"\($0)\"" } ?? "")
                [[stack.default]]
                plugin = "iplist"
                control = "required"
                allow = ["10.0.0.0/8"]
                anonymous = true
                """)
        }
        let xff = try file(nil)
        let remedy = try remedy(xff, ["--peer", "127.0.0.1"])
        XCTAssertTrue(remedy.contains("the proxy does not set X-Forwarded-For"), remedy)
        XCTAssertTrue(remedy.contains("127.0.0.1"), remedy)
        XCTAssertTrue(try self.remedy(try file("Forwarded"), ["--peer", "127.0.0.1"]).contains("the proxy does not set Forwarded"))
        // With the header, the client is who the list judged: the generic sentence.
        XCTAssertEqual(try self.remedy(xff, ["--peer", "127.0.0.1", "--header", "X-Forwarded-For: 192.0.2.1"]), Remedy.generic(.ipNotAllowed))
        // A proxy left out of [proxy] trusted: its header was ignored.
        XCTAssertTrue(try self.remedy(xff, ["--peer", "192.0.2.50", "--header", "X-Forwarded-For: 10.1.1.1"])
            .contains("it is not in [proxy] trusted"))
    }

    /// `expired_credentials` says how long ago, when the deciding entry's detail says when.
    func testExpiredCredentialsSaysHowLongAgo() throws {
        let expiredAt = Int(Date().timeIntervalSince1970) - 600
        let file = try config("""
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "deny"
            reason = "expired_credentials"
            challenge = 'Bearer realm="t", error="invalid_token"'
            detail = "token expired (expired_at=\(expiredAt))"
            """)
        let remedy = try remedy(file)
        XCTAssertTrue(remedy.hasPrefix("The credential expired 10 min ago: "), remedy)
        XCTAssertEqual(Remedy.span(45), "45 s")
        XCTAssertEqual(Remedy.span(7300), "2 h")
        XCTAssertEqual(Remedy.span(3 * 86_400 + 5), "3 days")
    }

    /// The same through the real hmac plugin: its expired-token detail carries `expired_at=`.
    func testAnExpiredTokenSaysHowLongAgo() throws {
        let keys = S.repositoryRoot + "/examples/demo/keys.jwks"
        let issued = try S.run(S.binDirectory + "/portcullis-token", ["issue", "--keys", keys, "--sub", "svc", "--ttl", "1s"])
        XCTAssertEqual(issued.status, 0, issued.stderr)
        let token = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let file = try config("""
            [[stack.default]]
            plugin = "hmac"
            control = "required"
            keys = "\(keys)"
            leeway = 0
            """)
        Thread.sleep(forTimeInterval: 2.2)  // past exp (whole seconds) with no leeway
        let remedy = try remedy(file, ["--header", "Authorization: Bearer \(token)"])
        XCTAssertTrue(remedy.hasPrefix("The credential expired "), remedy)
        XCTAssertTrue(remedy.contains(" s ago"), remedy)
        XCTAssertFalse(remedy.contains(token), "the token is not in the remedy")
    }

    /// `check` prints no info-level lines unless asked: the crypt plugin's "loaded N users" and
    /// the decision line appear only with `--log-level info`.
    func testCheckIsQuietUnlessAsked() throws {
        let quiet = try S.run(portcullis, ["check", "--config", demo])
        XCTAssertEqual(quiet.status, 1)
        XCTAssertEqual(quiet.stderr, "")
        let loud = try S.run(portcullis, ["check", "--config", demo, "--log-level", "info"])
        XCTAssertEqual(loud.status, 1)
        XCTAssertTrue(loud.stderr.contains("loaded"), loud.stderr)
        XCTAssertTrue(loud.stderr.contains("decision"), loud.stderr)
        XCTAssertTrue(loud.stderr.contains("remedy="), loud.stderr)
        XCTAssertFalse(loud.stdout.contains("info"), "the explanation stays on stdout, the log on stderr")
        XCTAssertEqual(try S.run(portcullis, ["check", "--config", demo, "--log-level", "loud"]).status, 2)
    }

    func config(_ text: String) throws -> String {
        let directory = try S.temporaryDirectory(self)
        try S.write(text, to: directory + "/portcullis.toml")
        return directory + "/portcullis.toml"
    }
}
