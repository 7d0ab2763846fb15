import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Portcullis
import PortcullisServer
import Synchronization
import PortcullisTestSupport
import XCTest

/// The daemon over real TCP on loopback: the peer is the proxy's address, the client comes from
/// the forwarding header only when that peer is trusted; one log line per decision, no secrets.
final class LiveTests: XCTestCase {
    typealias S = TestSupport

    func server(_ toml: String, logger: Logger? = nil) throws -> ForwardAuthServer {
        let directory = try S.temporaryDirectory(self)
        try S.write(toml, to: directory + "/portcullis.toml")
        var quiet = Logger(label: "test")
        quiet.logLevel = .warning
        return try ForwardAuthServer(configPath: directory + "/portcullis.toml", logger: logger ?? quiet)
    }

    static let echo = """
        [server]
        listen = "127.0.0.1:0"

        [[stack.default]]
        plugin = "debug"
        control = "required"
        result = "allow"
        principal = "$user"
        echo = true
        """

    func testClientThroughATrustedProxyOnly() async throws {
        for (trusted, expectedClient) in [(true, "203.0.113.9"), (false, "127.0.0.1")] {
            let proxy = trusted ? "[proxy]\ntrusted = [\"127.0.0.1/32\"]\n" : ""
            let server = try server(proxy + Self.echo)
            try await server.application().test(.live) { client in
                let headers = S.fields([("Authorization", String.basic("alice", "pw")), ("X-Forwarded-For", "198.51.100.1, 203.0.113.9")])
                try await client.execute(uri: "/auth", method: .get, headers: headers) { response in
                    XCTAssertEqual(response.status, .ok)
                    XCTAssertEqual(response.headers[HTTPField.Name("X-Auth-Peer")!], "127.0.0.1")
                    XCTAssertEqual(response.headers[HTTPField.Name("X-Auth-Client")!], expectedClient, "trusted: \(trusted)")
                }
            }
        }
    }

    func testOneLogLinePerDecisionAndNoSecrets() async throws {
        let log = CapturedLog()
        let logger = log.logger
        let server = try server(Self.echo, logger: logger)
        try await server.application().test(.live) { client in
            for authorization in [String.basic("alice", "SeCrEtPaSsWoRd"), "Bearer TOKENTOKENTOKEN.abc", "Basic %%%", "hunterhunter"] {
                let headers = S.fields([("Authorization", authorization), ("X-Original-URI", "/x?access_token=QUERYTOKEN")])
                try await client.execute(uri: "/auth", method: .get, headers: headers) { _ in }
            }
        }
        let logged = log.formattedLines
        XCTAssertEqual(logged.filter { $0.hasPrefix("decision ") }.count, 4, logged.joined(separator: "\n"))
        for secret in ["SeCrEtPaSsWoRd", "TOKENTOKENTOKEN", "QUERYTOKEN", "YWxpY2U6", "hunter"] {
            XCTAssertFalse(logged.contains { $0.contains(secret) }, "\(secret) was logged")
        }
        XCTAssertTrue(logged.contains { $0.contains("user=\\\"alice\\\"") || $0.contains("user=\"alice\"") }, logged.joined(separator: "\n"))
    }

    /// Values from the request reach the log escaped and bounded: a principal with a line break
    /// cannot forge a second line, a 59 KB user-id is cut at 256 bytes and says so.
    func testRequestValuesAreLoggedEscapedAndTruncated() async throws {
        let log = CapturedLog()
        let logger = log.logger
        let server = try server("""
            [server]
            listen = "127.0.0.1:0"

            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "mallory\\ndecision stack=default decision=allow principal=admin"
            """, logger: logger)
        let longUser = String(repeating: "u", count: 59_000)
        try await server.application().test(.live) { client in
            let headers = S.fields([("Authorization", String.basic(longUser, "pw"))])
            try await client.execute(uri: "/auth", method: .get, headers: headers) { _ in }
        }
        let logged = log.formattedLines
        let decisions = logged.filter { $0.hasPrefix("decision ") }
        XCTAssertEqual(decisions.count, 1, logged.joined(separator: "\n---\n").prefix(2000).description)
        for line in logged {
            XCTAssertFalse(line.contains("\n") || line.contains("\r"), "a raw line break was logged: \(line.prefix(500))")
            XCTAssertLessThan(line.utf8.count, 4096, "an unbounded value was logged: \(line.prefix(500))")
        }
        let decision = decisions.first ?? ""
        XCTAssertTrue(decision.contains(#"mallory\ndecision"#), decision)
        XCTAssertTrue(decision.contains("(truncated, 59000 bytes)"), decision.prefix(1000).description)
    }

    /// The daemon binary links no plugin code and neither libpam nor libcrypt.
    func testDaemonLinksNoPluginLibraries() throws {
        let linked = try S.run("/usr/bin/env", ["ldd", S.binDirectory + "/portcullis"])
        XCTAssertEqual(linked.status, 0, linked.output)
        XCTAssertFalse(linked.output.contains("libpam"), linked.output)
        XCTAssertFalse(linked.output.contains("libcrypt.so"), linked.output)
        XCTAssertFalse(linked.output.contains("portcullis-"), linked.output)
    }
}
