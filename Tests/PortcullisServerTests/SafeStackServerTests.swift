import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Portcullis
import PortcullisHummingbird
import PortcullisServer
import PortcullisTestSupport
import XCTest

/// Issue 10 through the ways in, on real sockets (so the peer is 127.0.0.1): the gate stack
/// denies a request without credentials, `observe` is called exactly once per decision, and one
/// request sees one configuration while reloads change whom the daemon trusts.
final class SafeStackServerTests: XCTestCase {
    typealias S = TestSupport

    func server(_ toml: String, in directory: String) throws -> ForwardAuthServer {
        try S.write(toml, to: directory + "/portcullis.toml")
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return try ForwardAuthServer(configPath: directory + "/portcullis.toml", logger: logger)
    }

    func testGateStackDeniesARequestWithoutCredentialsThroughDaemonAndMiddleware() async throws {
        let directory = try S.temporaryDirectory(self)
        let made = try S.run("/usr/bin/env", ["htpasswd", "-bcB", "-C", "5", directory + "/users", "alice", "s3cret"])
        XCTAssertEqual(made.status, 0, made.output)
        let server = try server("""
            [proxy]
            trusted = ["127.0.0.1"]
            [[stack.default]]
            plugin = "iplist"
            control = "requisite"
            allow = ["127.0.0.0/8"]
            [[stack.default]]
            plugin = "crypt"
            control = "required"
            file = "\(directory)/users"
            """, in: directory)
        let router = Router(context: PortcullisRequestContext.self)
        router.group("private").add(middleware: PortcullisMiddleware(runtime: server.runtime))
            .get("page") { _, context in "hello \(context.portcullis?.principal ?? "?")" }
        let challenge = #"Basic realm="Restricted", charset="UTF-8""#
        let good = S.fields([("Authorization", String.basic("alice", "s3cret"))])

        try await server.application().test(.live) { client in
            try await client.execute(uri: "/auth", method: .get) { response in
                XCTAssertEqual(response.status, .unauthorized)
                XCTAssertEqual(response.headers[.wwwAuthenticate], challenge)
                XCTAssertTrue(String(buffer: response.body).contains("\"reason\":\"missing_credentials\""))
            }
            try await client.execute(uri: "/auth", method: .get, headers: good) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[HTTPField.Name("X-Auth-User")!], "alice")
            }
        }
        try await Application(router: router).test(.live) { client in
            try await client.execute(uri: "/private/page", method: .get) { response in
                XCTAssertEqual(response.status, .unauthorized)
                XCTAssertEqual(response.headers[.wwwAuthenticate], challenge)
            }
            try await client.execute(uri: "/private/page", method: .get, headers: good) { response in
                XCTAssertEqual(String(buffer: response.body), "hello alice")
            }
        }
    }

    /// observe runs once per decision, for an inline and for a blocking observer (on the pool),
    /// while 200 requests are in flight at once.
    func testObserveIsCalledExactlyOncePerDecisionUnderConcurrency() async throws {
        for blocking in [false, true] {
            let directory = try S.temporaryDirectory(self)
            try S.compileObserverPlugin(into: directory, blocking: blocking)
            let log = directory + "/observed"
            let server = try server("""
                plugin_dir = "\(directory)"
                [[stack.default]]
                plugin = "observer"
                control = "requisite"
                observe_file = "\(log)"
                [[stack.default]]
                plugin = "debug"
                path = "\(S.binDirectory)/libportcullis-debug.so"
                control = "required"
                result = "allow"
                principal = "$user"
                """, in: directory)
            let requests = 200
            try await server.application().test(.live) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<requests {
                        group.addTask {
                            let headers = S.fields([("Authorization", String.basic("u\(index % 2)", "pw"))])
                            try await client.execute(uri: "/auth", method: .get, headers: headers) { response in
                                XCTAssertEqual(response.status, .ok)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // Delivered after the answers: wait for them, then make sure no more come.
            let deadline = Date().addingTimeInterval(10)
            while S.observedLines(log).count < requests, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: .milliseconds(300))
            let lines = S.observedLines(log)
            XCTAssertEqual(lines.count, requests, "blocking: \(blocking)")
            XCTAssertEqual(lines.filter { $0 == "0 allow 0 200 1 u0 u0" }.count, requests / 2, "blocking: \(blocking) \(Set(lines))")
            XCTAssertEqual(lines.filter { $0 == "0 allow 0 200 1 u1 u1" }.count, requests / 2, "blocking: \(blocking)")
        }
    }

    /// Configuration A trusts the local proxy and names its user "A"; B trusts no proxy and names
    /// "B". Every answer must come wholly from one of them: under A the original URI and the
    /// forwarded client are believed, under B neither is.
    func testOneRequestSeesOneConfigurationAcrossReloads() async throws {
        let directory = try S.temporaryDirectory(self)
        @Sendable func configuration(_ name: String, trusted: Bool) -> String {
            """
            \(trusted ? "[proxy]\ntrusted = [\"127.0.0.1\"]" : "")
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "\(name)"
            echo = true
            """
        }
        let path = directory + "/portcullis.toml"
        let server = try server(configuration("A", trusted: true), in: directory)
        let forwarded = S.fields([("X-Forwarded-For", "203.0.113.9"), ("X-Original-URI", "/from-proxy"), ("X-Original-Method", "PUT")])
        try await server.application().test(.live) { client in
            try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    for round in 0..<40 {
                        try S.write(configuration(round.isMultiple(of: 2) ? "B" : "A", trusted: !round.isMultiple(of: 2)), to: path)
                        _ = await server.reload()
                    }
                    return []
                }
                for _ in 0..<4 {
                    group.addTask {
                        var mixed: [String] = []
                        for _ in 0..<100 {
                            try await client.execute(uri: "/auth", method: .get, headers: forwarded) { response in
                                let user = response.headers[HTTPField.Name("X-Auth-User")!] ?? "?"
                                let seen = [HTTPField.Name("X-Auth-Client")!, HTTPField.Name("X-Auth-Path")!, HTTPField.Name("X-Auth-Method")!]
                                    .map { response.headers[$0] ?? "?" }
                                let expected = user == "A" ? ["203.0.113.9", "/from-proxy", "PUT"] : ["127.0.0.1", "/auth", "GET"]
                                if seen != expected || !["A", "B"].contains(user) { mixed.append("\(user): \(seen)") }
                            }
                        }
                        return mixed
                    }
                }
                var mixed: [String] = []
                for try await found in group { mixed += found }
                XCTAssertEqual(mixed, [], "answers that mixed two configurations")
            }
        }
    }
}
