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

/// The daemon's HTTP contract (nginx `auth_request`, Traefik ForwardAuth, Caddy `forward_auth`)
/// over real TCP through the daemon's own listener (``EndpointChannel``: `.live`, or `.ahc` where
/// requests must run in parallel on several connections), with real plugins.
final class ForwardAuthTests: XCTestCase {
    typealias S = TestSupport

    /// A daemon for `toml` (written to a file, as `portcullis serve` reads it), listening on a
    /// port the kernel picks (and its metrics listener too), unless `toml` says where.
    func server(_ toml: String) throws -> ForwardAuthServer {
        let directory = try S.temporaryDirectory(self)
        try S.write(Self.listening(toml), to: directory + "/portcullis.toml")
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return try ForwardAuthServer(configPath: directory + "/portcullis.toml", logger: logger)
    }

    static func listening(_ toml: String) -> String {
        guard !toml.contains("listen = ") else { return toml }
        let listen = "listen = \"127.0.0.1:0\"\nmetrics_listen = \"127.0.0.2:0\"\n"
        if let range = toml.range(of: "[server]\n") { return toml.replacingCharacters(in: range, with: "[server]\n" + listen) }
        // Top-level keys (plugin_dir) must come before the first table.
        let lines = toml.split(separator: "\n", omittingEmptySubsequences: false)
        let firstTable = lines.firstIndex { $0.hasPrefix("[") } ?? lines.endIndex
        return (lines[..<firstTable] + ["[server]", Substring(listen)] + lines[firstTable...]).joined(separator: "\n")
    }

    func testHealthzAndUnknownPaths() async throws {
        let server = try server("[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\nresult = \"allow\"\nprincipal = \"svc\"\n")
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(String(buffer: response.body), "ok\n")
            }
            try await client.execute(uri: "/elsewhere", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
            }
            for path in ["/auth/", "/auth/default/", "/auth/default"] {
                try await client.execute(uri: path, method: .get) { response in
                    XCTAssertEqual(response.status, .ok, path)
                }
            }
            // An unknown stack is a 404 (nginx turns any non-2xx/401/403 into a 500: fail closed).
            try await client.execute(uri: "/auth/nosuchstack", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
                XCTAssertEqual(response.headers[.contentType], "application/problem+json")
            }
        }
    }

    /// Allow → 200 with the principal and attribute headers; the original request is rebuilt from
    /// the configured header family, only when the peer is a trusted proxy (the debug plugin
    /// echoes what crossed the ABI). Over real TCP, so the daemon sees a peer address.
    func testAllowCarriesHeadersAndTheOriginalRequest() async throws {
        let echo = """
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "$user"
            echo = true
            """
        let nginx = S.fields([("Authorization", String.basic("alice", "pw")), ("X-Original-Method", "DELETE"),
                              ("X-Original-URI", "/orders/7?x=1"), ("X-Forwarded-Method", "GET"), ("X-Forwarded-Uri", "/spoofed")])
        let traefik = S.fields([("Authorization", String.basic("bob", "pw")), ("X-Forwarded-Method", "PUT"), ("X-Forwarded-Proto", "https"),
                                ("X-Forwarded-Host", "shop.example"), ("X-Forwarded-Uri", "/cart"), ("X-Original-Method", "GET")])
        let cases: [(config: String, headers: HTTPFields, user: String, method: String, path: String, host: String?)] = [
            // nginx: X-Original-*; a client's X-Forwarded-Method passed through by nginx is ignored.
            ("[server]\nlisten = \"127.0.0.1:0\"\n[proxy]\ntrusted = [\"127.0.0.1\"]\n", nginx, "alice", "DELETE", "/orders/7?x=1", nil),
            // Traefik/Caddy: X-Forwarded-*; a client's X-Original-Method passed through is ignored.
            ("[server]\nlisten = \"127.0.0.1:0\"\noriginal_request = \"x-forwarded\"\n[proxy]\ntrusted = [\"127.0.0.1\"]\n", traefik, "bob", "PUT", "/cart", "shop.example"),
            // A trusted proxy that does not say the original method and target: both unknown (empty),
            // never the check request's own POST /auth.
            ("[server]\nlisten = \"127.0.0.1:0\"\n[proxy]\ntrusted = [\"127.0.0.1\"]\n",
             S.fields([("Authorization", String.basic("carol", "pw"))]), "carol", "", "", nil),
            // An untrusted peer's forwarding headers describe nothing: the check request itself counts.
            ("[server]\nlisten = \"127.0.0.1:0\"\n", nginx, "alice", "POST", "/auth", nil),
        ]
        for item in cases {
            let server = try server(item.config + echo)
            try await server.application().test(.live) { client in
                try await client.execute(uri: "/auth", method: .post, headers: item.headers) { response in
                    XCTAssertEqual(response.status, .ok)
                    XCTAssertEqual(response.headers[HTTPField.Name("X-Auth-User")!], item.user)
                    XCTAssertEqual(response.headers[HTTPField.Name("X-Auth-Method")!] ?? "", item.method, item.config)
                    XCTAssertEqual(response.headers[HTTPField.Name("X-Auth-Path")!] ?? "", item.path, item.config)
                    if let host = item.host { XCTAssertEqual(response.headers[HTTPField.Name("X-Auth-Host")!], host) }
                    XCTAssertEqual(response.body.readableBytes, 0)
                }
            }
        }
    }

    func testAllowStatus204() async throws {
        let server = try server("[server]\nallow_status = 204\n[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\nresult = \"allow\"\nprincipal = \"svc\"\n")
        try await server.application().test(.live) { client in
            try await client.execute(uri: "/auth", method: .get) { response in
                XCTAssertEqual(response.status, .noContent)
                XCTAssertEqual(response.headers[HTTPField.Name("X-Auth-User")!], "svc")
            }
        }
    }

    /// Deny → exactly the gatekeeper's response: status, WWW-Authenticate, problem+json.
    func testDenyIsTheGatekeepersResponse() async throws {
        let directory = try S.temporaryDirectory(self)
        try S.compileCountingPlugin(into: directory)
        let server = try server("""
            plugin_dir = "\(directory)"
            [[stack.default]]
            plugin = "counting"
            control = "required"
            count_file = "\(directory)/calls"
            password = "right"

            [[stack.admin]]
            plugin = "counting"
            control = "required"
            count_file = "\(directory)/calls"
            password = "right"
            [[stack.admin]]
            plugin = "debug"
            path = "\(S.binDirectory)/libportcullis-debug.so"
            control = "required"
            result = "deny"
            reason = "insufficient_permissions"

            [[stack.broken]]
            plugin = "counting"
            control = "required"
            count_file = "\(directory)/calls"
            mode = "error"
            """)
        let gatekeeper = server.runtime.gatekeepers.current
        let cases: [(stack: String, authorization: String?, status: Int)] = [
            ("default", nil, 401), ("default", String.basic("alice", "wrong"), 401), ("default", "Basic %%%", 401),
            ("admin", String.basic("alice", "right"), 403), ("broken", String.basic("alice", "right"), 500),
        ]
        try await server.application().test(.live) { client in
            for item in cases {
                let headers = item.authorization.map { [("Authorization", $0)] } ?? []
                let expected = gatekeeper.response(for: gatekeeper.evaluate(AuthRequest(headers: headers, peer: nil), stack: item.stack))
                XCTAssertEqual(expected.status, item.status)
                try await client.execute(uri: "/auth/\(item.stack)", method: .get, headers: S.fields(headers)) { response in
                    XCTAssertEqual(Int(response.status.code), item.status, "\(item)")
                    XCTAssertEqual(response.headers[.wwwAuthenticate], expected.value(of: "WWW-Authenticate"), "\(item)")
                    XCTAssertEqual(response.headers[.contentType], "application/problem+json")
                    XCTAssertEqual(Array(buffer: response.body), expected.body, "\(item)")
                }
            }
        }
    }

    /// A blocking stack runs on the pool; when the pool and its queue are full, the daemon
    /// answers 503 with Retry-After at once instead of queueing.
    func testFullPoolAnswers503() async throws {
        let directory = try S.temporaryDirectory(self)
        try S.compileCountingPlugin(into: directory, name: "slow", blocking: true)
        let server = try server("""
            plugin_dir = "\(directory)"
            [server]
            blocking_threads = 1
            blocking_queue = 1
            [cache]
            enabled = false
            [[stack.default]]
            plugin = "slow"
            control = "required"
            count_file = "\(directory)/calls"
            password = "right"
            sleep_ms = 400
            """)
        let statuses = try await server.application().test(.ahc(.http)) { client in
            try await withThrowingTaskGroup(of: (Int, String?, Duration).self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        let started = ContinuousClock.now
                        return try await client.execute(uri: "/auth", method: .get, headers: S.fields([("Authorization", String.basic("a", "right"))])) {
                            (Int($0.status.code), $0.headers[.retryAfter], ContinuousClock.now - started)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        XCTAssertEqual(statuses.filter { $0.0 == 200 }.count, 2, "\(statuses)")
        let refused = statuses.filter { $0.0 == 503 }
        XCTAssertEqual(refused.count, 3, "\(statuses)")
        XCTAssertTrue(refused.allSatisfy { $0.1 == "1" })
        // Refused without waiting for the 400 ms check to finish.
        XCTAssertTrue(refused.allSatisfy { $0.2 < .milliseconds(400) }, "\(refused)")
        XCTAssertEqual(S.countedCalls(directory + "/calls"), 2)
    }

    /// Cache hits of a blocking stack are answered without a pool slot: a full pool refuses new
    /// work, not answers it already has.
    func testCacheHitsDoNotNeedThePool() async throws {
        let directory = try S.temporaryDirectory(self)
        try S.compileCountingPlugin(into: directory, name: "slow", blocking: true)
        let server = try server("""
            plugin_dir = "\(directory)"
            [server]
            blocking_threads = 1
            blocking_queue = 0
            [[stack.default]]
            plugin = "slow"
            control = "required"
            count_file = "\(directory)/calls"
            password = "right"
            sleep_ms = 500
            """)
        try await server.application().test(.ahc(.http)) { client in
            func status(_ user: String) async throws -> Int {
                try await client.execute(uri: "/auth", method: .get, headers: S.fields([("Authorization", String.basic(user, "right"))])) {
                    Int($0.status.code)
                }
            }
            let first = try await status("alice")
            XCTAssertEqual(first, 200)
            async let busy = status("bob")  // holds the only thread for 500 ms
            try await Task.sleep(for: .milliseconds(150))
            let refused = try await status("carol")
            XCTAssertEqual(refused, 503, "the pool is full")
            let cached = try await status("alice")
            XCTAssertEqual(cached, 200, "a cached answer needs no thread")
            let waited = try await busy
            XCTAssertEqual(waited, 200)
        }
        XCTAssertEqual(S.countedCalls(directory + "/calls"), 2)
    }

    /// The plugin's fail delay is applied before a deny is answered (without holding a thread).
    func testFailDelayBeforeDeny() async throws {
        let directory = try S.temporaryDirectory(self)
        try S.compileCountingPlugin(into: directory)
        let server = try server("""
            plugin_dir = "\(directory)"
            [[stack.default]]
            plugin = "counting"
            control = "required"
            count_file = "\(directory)/calls"
            password = "right"
            fail_delay_ms = 300
            """)
        try await server.application().test(.live) { client in
            for _ in 0..<2 {  // the second deny comes from the cache and keeps its delay
                let started = ContinuousClock.now
                try await client.execute(uri: "/auth", method: .get, headers: S.fields([("Authorization", String.basic("a", "wrong"))])) { response in
                    XCTAssertEqual(response.status, .unauthorized)
                }
                XCTAssertGreaterThanOrEqual(ContinuousClock.now - started, .milliseconds(300))
            }
        }
        XCTAssertEqual(S.countedCalls(directory + "/calls"), 1)
    }

    func testMetrics() async throws {
        let directory = try S.temporaryDirectory(self)
        try S.compileCountingPlugin(into: directory)
        let server = try server("""
            plugin_dir = "\(directory)"
            [[stack.default]]
            plugin = "counting"
            control = "required"
            count_file = "\(directory)/calls"
            password = "right"
            """)
        try await server.application().test(.live) { client in
            for password in ["right", "right", "wrong"] {
                try await client.execute(uri: "/auth", method: .get, headers: S.fields([("Authorization", String.basic("a", password))])) { _ in }
            }
        }
        try await XCTUnwrap(server.metricsApplication()).test(.live) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                let text = String(buffer: response.body)
                XCTAssertTrue(text.contains("portcullis_decisions_total{stack=\"default\",decision=\"allow\",reason=\"none\"} 2"), text)
                XCTAssertTrue(text.contains("portcullis_decisions_total{stack=\"default\",decision=\"deny\",reason=\"invalid_credentials\"} 1"), text)
                XCTAssertTrue(text.contains("portcullis_cache_hits_total{plugin=\"counting\"} 1"), text)
                XCTAssertTrue(text.contains("portcullis_cache_misses_total{plugin=\"counting\"} 2"), text)
                XCTAssertTrue(text.contains("portcullis_plugin_duration_seconds_count{plugin=\"counting\"} 2"), text)
                XCTAssertTrue(text.contains("portcullis_decision_duration_seconds_bucket{stack=\"default\""), text)
            }
        }
    }

    func testReloadSwapsAndKeepsTheOldOneOnError() async throws {
        let directory = try S.temporaryDirectory(self)
        let path = directory + "/portcullis.toml"
        try S.write("[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\nresult = \"allow\"\nprincipal = \"one\"\n", to: path)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = try ForwardAuthServer(configPath: path, logger: logger)
        try S.write("[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\nresult = \"allow\"\nprincipal = \"two\"\n", to: path)
        let reloaded = await server.reload()
        XCTAssertTrue(reloaded)
        XCTAssertEqual(server.runtime.gatekeepers.current.evaluate(AuthRequest(peer: nil)).principal, "two")
        try S.write("[[stack.default]]\nplugin = \"debug\"\ncontrol = \"sometimes\"\n", to: path)
        let refused = await server.reload()
        XCTAssertFalse(refused)
        XCTAssertEqual(server.runtime.gatekeepers.current.evaluate(AuthRequest(peer: nil)).principal, "two")
    }

    func testBindAddress() {
        XCTAssertNotNil(ForwardAuthServer.bindAddress("127.0.0.1:9180"))
        XCTAssertNotNil(ForwardAuthServer.bindAddress("[::1]:9180"))
        XCTAssertNil(ForwardAuthServer.bindAddress("127.0.0.1:http"))
        XCTAssertNil(ForwardAuthServer.bindAddress("127.0.0.1:70000"))
    }
}
