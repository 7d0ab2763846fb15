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

/// The middleware and the daemon answer the same request the same way: one gatekeeper, one
/// configuration, compared status, WWW-Authenticate, Content-Type and body bytes.
final class MiddlewareTests: XCTestCase {
    typealias S = TestSupport

    struct Answer: Equatable, CustomStringConvertible {
        var status: Int
        var challenge: String?
        var contentType: String?
        var retryAfter: String?
        var body: [UInt8]
        init(_ response: TestResponse) {
            status = Int(response.status.code)
            challenge = response.headers[.wwwAuthenticate]
            contentType = response.headers[.contentType]
            retryAfter = response.headers[.retryAfter]
            body = Array(buffer: response.body)
        }
        var description: String { "\(status) \(challenge ?? "-") \(contentType ?? "-") \(String(decoding: body, as: UTF8.self))" }
    }

    func testMiddlewareAndDaemonAnswerAlike() async throws {
        let directory = try S.temporaryDirectory(self)
        try S.compileCountingPlugin(into: directory)
        let users = directory + "/users"
        let made = try S.run("/usr/bin/env", ["htpasswd", "-bcB", "-C", "5", users, "alice", "s3cret"])
        XCTAssertEqual(made.status, 0, made.output)
        try S.write("""
            [server]
            listen = "127.0.0.1:0"

            [status]
            locked_out = 429

            [[stack.default]]
            plugin = "crypt"
            path = "\(S.binDirectory)/libportcullis-crypt.so"
            control = "sufficient"
            file = "\(users)"
            realm = "files"

            [[stack.default]]
            plugin = "counting"
            path = "\(directory)/libportcullis-counting.so"
            control = "required"
            count_file = "\(directory)/calls"
            password = "other"

            [[stack.admin]]
            plugin = "crypt"
            path = "\(S.binDirectory)/libportcullis-crypt.so"
            control = "requisite"
            file = "\(users)"
            [[stack.admin]]
            plugin = "debug"
            path = "\(S.binDirectory)/libportcullis-debug.so"
            control = "required"
            result = "deny"
            reason = "insufficient_permissions"
            """, to: directory + "/portcullis.toml")
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let server = try ForwardAuthServer(configPath: directory + "/portcullis.toml", logger: logger)

        let router = Router(context: PortcullisRequestContext.self)
        router.group("private").add(middleware: PortcullisMiddleware(runtime: server.runtime, stack: "default"))
            .get("page") { _, context in "hello \(context.portcullis?.principal ?? "?")" }
        router.group("admin").add(middleware: PortcullisMiddleware(runtime: server.runtime, stack: "admin"))
            .get("page") { _, _ in "admin" }
        let app = Application(router: router, logger: logger)
        let daemon = try server.application()

        let requests: [(stack: String, headers: [(String, String)])] = [
            ("default", []),
            ("default", [("Authorization", String.basic("alice", "wrong"))]),
            ("default", [("Authorization", "Basic not-base64!")]),
            ("default", [("Authorization", "Bearer abc"), ("Authorization", "Bearer def")]),
            ("default", [("Authorization", "Negotiate abc")]),
            ("admin", [("Authorization", String.basic("alice", "s3cret"))]),
            ("admin", []),
        ]
        for request in requests {
            let path = request.stack == "default" ? "/private/page" : "/admin/page"
            let fromMiddleware = try await app.test(.router) { client in
                try await client.execute(uri: path, method: .get, headers: S.fields(request.headers)) { Answer($0) }
            }
            let forwarded = request.headers + [("X-Original-URI", path), ("X-Original-Method", "GET")]
            // The daemon's real listener (its own NIO pipeline), the middleware through Hummingbird.
            let fromDaemon = try await daemon.test(.live) { client in
                try await client.execute(uri: "/auth/\(request.stack)", method: .get, headers: S.fields(forwarded)) { Answer($0) }
            }
            XCTAssertEqual(fromMiddleware, fromDaemon, "\(request)")
            XCTAssertNotEqual(fromMiddleware.status, 200, "\(request)")
            XCTAssertEqual(fromMiddleware.contentType, "application/problem+json")
        }

        // Allowed: the route runs with the principal in the context; the daemon says 200 + X-Auth-User.
        let good = [("Authorization", String.basic("alice", "s3cret"))]
        try await app.test(.router) { client in
            try await client.execute(uri: "/private/page", method: .get, headers: S.fields(good)) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(String(buffer: response.body), "hello alice")
            }
        }
        try await daemon.test(.live) { client in
            try await client.execute(uri: "/auth", method: .get, headers: S.fields(good)) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[HTTPField.Name("X-Auth-User")!], "alice")
            }
        }
        // The other entry answers alike through both ways in.
        let other = [("Authorization", String.basic("bob", "other"))]
        try await app.test(.router) { client in
            try await client.execute(uri: "/private/page", method: .get, headers: S.fields(other)) { response in
                XCTAssertEqual(String(buffer: response.body), "hello bob")
            }
        }
    }

    func testIdentityCarriesAttributes() async throws {
        let gatekeeper = try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "debug"
            path = "\(S.binDirectory)/libportcullis-debug.so"
            control = "required"
            result = "allow"
            principal = "$user"
            echo = true
            """)
        let router = Router(context: PortcullisRequestContext.self)
        router.add(middleware: PortcullisMiddleware(runtime: DecisionRuntime(gatekeeper: gatekeeper)))
        router.get("/who") { _, context in
            "\(context.portcullis?.principal ?? "?") \(context.portcullis?.attribute("method") ?? "?") \(context.portcullis?.stack ?? "?")"
        }
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/who", method: .get, headers: S.fields([("Authorization", String.basic("carol", "x"))])) { response in
                XCTAssertEqual(String(buffer: response.body), "carol GET default")
            }
        }
    }
}
