import Foundation
import Logging
import Portcullis
import PortcullisServer
import PortcullisTestSupport
import PortcullisVapor
import XCTVapor
import XCTest

/// The Vapor middleware through the real plugin `.so` files and the real loader, on a real socket
/// (so the peer is 127.0.0.1 and `[proxy] trusted` applies): denies with every challenge, allows
/// with the principal on `req.auth`, and answers a deny exactly as the daemon does.
final class VaporMiddlewareTests: XCTestCase {
    typealias S = TestSupport

    /// A users file (yescrypt, by the crypt plugin's own `portcullis-hash`, so libxcrypt made it),
    /// a groups file, an HS256 key set and a token for alice; the stack: iplist (requisite) on the
    /// resolved client, then a Bearer token (sufficient), then Basic (required).
    struct Fixture {
        let directory: String
        let token: String
        var configPath: String { directory + "/portcullis.toml" }
    }

    func fixture() throws -> Fixture {
        let directory = try S.temporaryDirectory(self)
        let hashed = try S.run(S.binDirectory + "/portcullis-hash", ["--user", "alice"], input: Array("s3cret\n".utf8))
        XCTAssertEqual(hashed.status, 0, hashed.output)
        XCTAssertTrue(hashed.stdout.hasPrefix("alice:$y$"), hashed.stdout)
        try S.write(hashed.stdout, to: directory + "/users")
        try S.write("staff: alice\n", to: directory + "/groups")
        let keys = directory + "/keys.jwks"
        try S.write(#"{"keys": [{"kty": "oct", "kid": "k1", "alg": "HS256", "k": "\#(String(repeating: "B", count: 42))A"}]}"#, to: keys)
        let issued = try S.run(S.binDirectory + "/portcullis-token", ["issue", "--keys", keys, "--sub", "alice", "--ttl", "15m"])
        XCTAssertEqual(issued.status, 0, issued.stderr)
        try S.write("""
            [server]
            metrics_listen = "off"
            [proxy]
            trusted = ["127.0.0.1"]

            [[stack.default]]
            plugin = "iplist"
            control = "requisite"
            allow = ["127.0.0.0/8", "10.0.0.0/8"]

            [[stack.default]]
            plugin = "hmac"
            control = "sufficient"
            keys = "\(keys)"
            realm = "api"

            [[stack.default]]
            plugin = "crypt"
            control = "required"
            file = "\(directory)/users"
            groups_file = "\(directory)/groups"
            realm = "api"
            """, to: directory + "/portcullis.toml")
        return Fixture(directory: directory, token: issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    /// A Vapor app with `/private/page` behind the middleware and `PortcullisUser.guardMiddleware()`,
    /// and `/open` behind the middleware only; shut down (runtime included) when `body` ends.
    func withApp(_ runtime: DecisionRuntime, _ body: (any XCTApplicationTester) async throws -> Void) async throws {
        let app = try await Application.make(.testing)
        app.logger = Self.quietLogger
        app.lifecycle.use(PortcullisLifecycle(runtime: runtime))
        let protected = app.grouped(PortcullisMiddleware(runtime: runtime, stack: "default"), PortcullisUser.guardMiddleware())
        protected.get("private", "page") { req -> String in
            let user = try req.auth.require(PortcullisUser.self)
            return "hello \(user.name) groups=\(user.attribute("groups") ?? "-") stack=\(user.stack)"
        }
        app.grouped(PortcullisMiddleware(runtime: runtime, stack: "default")).get("open") { req -> String in
            let user = req.auth.get(PortcullisUser.self)
            return "user=\(user?.name ?? "none") path=\(user?.attribute("path") ?? "-") client=\(user?.attribute("client") ?? "-")"
        }
        do {
            try await body(try app.testable(method: .running(hostname: "127.0.0.1", port: 0)))
        } catch {
            try await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    func answer(_ tester: any XCTApplicationTester, _ path: String, _ headers: [(String, String)] = []) async throws -> WireAnswer {
        let response = try await tester.performTest(
            request: XCTHTTPRequest(method: .GET, url: URI(string: path), headers: HTTPHeaders(headers), body: ByteBuffer()))
        return WireAnswer(
            status: Int(response.status.code),
            fields: response.headers.map { WireAnswer.Field(name: $0.name.lowercased(), value: $0.value) },
            body: Array(response.body.readableBytesView))
    }

    func testDeniesWithEveryChallengeAndAllowsWithThePrincipalOnRequestAuth() async throws {
        let fixture = try fixture()
        let runtime = DecisionRuntime(gatekeeper: try Gatekeeper(contentsOf: fixture.configPath, logger: Self.quietLogger))
        // Both challenges, in stack order, in one field (RFC 9110 §11.6.1 allows either form).
        let challenges = [#"Bearer realm="api", Basic realm="api", charset="UTF-8""#]
        try await withApp(runtime) { app in
            // No credentials: 401, both challenges, problem+json naming the reason.
            let none = try await answer(app, "/private/page")
            XCTAssertEqual(none.status, 401, "\(none)")
            XCTAssertEqual(none.values("www-authenticate"), challenges)
            XCTAssertEqual(none.values("content-type"), ["application/problem+json"])
            XCTAssertTrue(none.text.contains(#""reason":"missing_credentials""#), none.text)

            // Good Basic: the handler sees alice, her groups and the stack through req.auth.
            let basic = try await answer(app, "/private/page", [("Authorization", String.basic("alice", "s3cret"))])
            XCTAssertEqual(basic.status, 200, "\(basic)")
            XCTAssertEqual(basic.text, "hello alice groups=staff stack=default")

            // Good Bearer: the other entry, the same way to the handler.
            let bearer = try await answer(app, "/private/page", [("Authorization", "Bearer \(fixture.token)")])
            XCTAssertEqual(bearer.status, 200, "\(bearer)")
            XCTAssertEqual(bearer.text, "hello alice groups=- stack=default")

            // Wrong password: 401, both challenges, and no route ran.
            let wrong = try await answer(app, "/private/page", [("Authorization", String.basic("alice", "wrong"))])
            XCTAssertEqual(wrong.status, 401, "\(wrong)")
            XCTAssertEqual(wrong.values("www-authenticate"), challenges)
            XCTAssertTrue(wrong.text.contains(#""reason":"invalid_credentials""#), wrong.text)
            XCTAssertFalse(wrong.text.contains("hello"))

            // A client the trusted proxy (the peer, 127.0.0.1) says is 192.0.2.7: not on the list, 403
            // even with a good password, and no challenge (logging in again would not help).
            let forbidden = try await answer(app, "/private/page", [
                ("X-Forwarded-For", "192.0.2.7"), ("Authorization", String.basic("alice", "s3cret")),
            ])
            XCTAssertEqual(forbidden.status, 403, "\(forbidden)")
            XCTAssertEqual(forbidden.values("www-authenticate"), [])
            XCTAssertTrue(forbidden.text.contains(#""reason":"ip_not_allowed""#), forbidden.text)

            // A client on the list, through the trusted proxy: allowed.
            let listed = try await answer(app, "/private/page", [
                ("X-Forwarded-For", "10.1.2.3"), ("Authorization", String.basic("alice", "s3cret")),
            ])
            XCTAssertEqual(listed.status, 200, "\(listed)")
        }
    }

    /// The same denied requests, to the Vapor app and to the daemon (its responder on a real
    /// socket), give the same status, the same header fields in the same order (`Date` and the
    /// hop-by-hop `Connection` aside, see ``WireAnswer/message``) and the same body bytes; and Vapor's fields are the gatekeeper's
    /// `AuthResponse` unchanged, plus only the Content-Length it must send.
    func testADeniedRequestGetsTheDaemonsAnswerByteForByte() async throws {
        let fixture = try fixture()
        let server = try ForwardAuthServer(configPath: fixture.configPath, logger: Self.quietLogger)
        let denied: [[(String, String)]] = [
            [],
            [("Authorization", String.basic("alice", "wrong"))],
            [("Authorization", String.basic("mallory", "s3cret"))],
            [("X-Forwarded-For", "192.0.2.7"), ("Authorization", String.basic("alice", "s3cret"))],
            [("Authorization", "Basic not-base64!")],
            [("Authorization", "Bearer abc"), ("Authorization", "Bearer def")],
            [("Authorization", "Bearer not.a.token")],
            [("Authorization", "Negotiate abc")],
        ]
        let fromDaemon = try await daemonAnswers(server, stack: "default", uri: "/private/page", headers: denied)
        var fromVapor: [WireAnswer] = []
        try await withApp(server.runtime) { app in
            for headers in denied { fromVapor.append(try await answer(app, "/private/page", headers)) }
        }
        XCTAssertEqual(fromVapor.count, denied.count)
        for (index, headers) in denied.enumerated() {
            let vapor = fromVapor[index], daemon = fromDaemon[index]
            XCTAssertEqual(vapor.message, daemon.message, "\(headers)")
            XCTAssertTrue([401, 400, 403].contains(vapor.status), "\(headers): \(vapor)")
            XCTAssertEqual(vapor.values("content-type"), ["application/problem+json"], "\(headers)")
            XCTAssertEqual(vapor.values("cache-control"), ["no-store"], "\(headers)")

            let decided = await server.runtime.decide(
                AuthRequest(method: "GET", path: "/private/page", host: "127.0.0.1", headers: headers, peer: IPAddress("127.0.0.1")),
                stack: "default")
            let expected = decided.response
            XCTAssertEqual(vapor.status, expected.status, "\(headers)")
            XCTAssertEqual(vapor.body, expected.body, "\(headers)")
            let expectedFields = WireAnswer(status: expected.status, fields: expected.headers.map { WireAnswer.Field(name: $0.name.lowercased(), value: $0.value) }, body: [])
            XCTAssertEqual(vapor.message.fields.filter { $0.name != "content-length" }, expectedFields.message.fields, "\(headers)")
            XCTAssertEqual(vapor.values("x-auth-decision-id").count, 1, "\(headers)")
            XCTAssertEqual(vapor.values("content-length"), ["\(expected.body.count)"], "\(headers)")
        }
    }

    /// An allow passes what Vapor received: the request target with its query, and the client
    /// resolved through the trusted proxy (the debug plugin echoes both as attributes).
    func testTheRequestTargetAndTheResolvedClientReachTheStack() async throws {
        let gatekeeper = try S.gatekeeper("""
            [proxy]
            trusted = ["127.0.0.1"]
            [[stack.default]]
            plugin = "debug"
            path = "\(S.binDirectory)/libportcullis-debug.so"
            control = "required"
            result = "allow"
            principal = "$user"
            echo = true
            """, logger: Self.quietLogger)
        try await withApp(DecisionRuntime(gatekeeper: gatekeeper)) { app in
            let answer = try await answer(app, "/open?x=1", [("Authorization", String.basic("carol", "x")), ("X-Forwarded-For", "198.51.100.4")])
            XCTAssertEqual(answer.text, "user=carol path=/open?x=1 client=198.51.100.4")
        }
    }

    /// An allow with no principal (`anonymous = true`) runs an unguarded route with no user logged
    /// in, and `PortcullisUser.guardMiddleware()` refuses the guarded one.
    func testAnAnonymousAllowLogsNoUserIn() async throws {
        let gatekeeper = try S.gatekeeper("""
            [[stack.default]]
            plugin = "debug"
            path = "\(S.binDirectory)/libportcullis-debug.so"
            control = "required"
            result = "allow"
            anonymous = true
            """, logger: Self.quietLogger)
        try await withApp(DecisionRuntime(gatekeeper: gatekeeper)) { app in
            let open = try await answer(app, "/open")
            XCTAssertEqual(open.status, 200)
            XCTAssertEqual(open.text, "user=none path=- client=-")
            let guarded = try await answer(app, "/private/page")
            XCTAssertEqual(guarded.status, 401, "\(guarded)")
            XCTAssertFalse(guarded.text.contains("hello"))
        }
    }

    /// `PortcullisLifecycle` stops the runtime's blocking pool when the application shuts down.
    func testTheRuntimeStopsWithTheApplication() async throws {
        let gatekeeper = try S.gatekeeper("""
            [[stack.default]]
            plugin = "debug"
            path = "\(S.binDirectory)/libportcullis-debug.so"
            control = "required"
            result = "allow"
            anonymous = true
            """, logger: Self.quietLogger)
        let runtime = DecisionRuntime(gatekeeper: gatekeeper)
        try await withApp(runtime) { _ in
            let ran = try await runtime.pool.run { 42 }
            XCTAssertEqual(ran, 42)
        }
        do {
            _ = try await runtime.pool.run { 42 }
            XCTFail("the pool still runs work after the application shut down")
        } catch {
            XCTAssertEqual(error, .stopped)
        }
    }
}
