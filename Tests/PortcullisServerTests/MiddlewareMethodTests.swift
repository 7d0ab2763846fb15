import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Portcullis
import PortcullisHummingbird
import PortcullisTestSupport
import Synchronization
import XCTest

/// The middleware asks about the request it protects with that request's own method (the
/// daemon reads it from `X-Original-Method`): the csrf plugin's safe-method rule depends on it.
final class MiddlewareMethodTests: XCTestCase {
    typealias S = TestSupport

    func testPluginsSeeTheRequestsOwnMethod() async throws {
        let log = CapturedLog()
        let gatekeeper = try S.gatekeeper("""
            [[stack.default]]
            plugin = "debug"
            path = "\(S.binDirectory)/libportcullis-debug.so"
            control = "required"
            result = "allow"
            principal = "carol"
            echo = true
            """, logger: log.logger)
        let router = Router(context: PortcullisRequestContext.self)
        router.add(middleware: PortcullisMiddleware(runtime: DecisionRuntime(gatekeeper: gatekeeper)))
        let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .options, HTTPRequest.Method("PROPFIND")!]
        for method in methods {
            router.on("/seen", method: method) { _, context in context.portcullis?.attribute("method") ?? "?" }
        }
        try await Application(router: router).test(.router) { client in
            for method in methods {
                try await client.execute(uri: "/seen", method: method) { response in
                    XCTAssertEqual(response.status, .ok, "\(method)")
                    XCTAssertEqual(String(buffer: response.body), method.rawValue)
                }
            }
        }
        XCTAssertEqual(log.entries.filter { $0.message == "decision" }.map { $0.metadata["method"]?.description }, methods.map(\.rawValue))
    }

    /// The real csrf plugin behind the middleware: a cross-site POST is refused before the route
    /// runs, and the decision log says which header failed; the application's own POST and a
    /// cross-site GET reach the route.
    func testCsrfRefusesACrossSitePostBeforeTheRouteRuns() async throws {
        let log = CapturedLog()
        let gatekeeper = try S.gatekeeper("""
            [[stack.default]]
            plugin = "csrf"
            path = "\(S.binDirectory)/libportcullis-csrf.so"
            control = "requisite"
            origins = ["https://intranet.example.com"]

            [[stack.default]]
            plugin = "debug"
            path = "\(S.binDirectory)/libportcullis-debug.so"
            control = "required"
            result = "allow"
            principal = "$user"
            """, logger: log.logger)
        let ran = RouteRuns()
        let router = Router(context: PortcullisRequestContext.self)
        router.add(middleware: PortcullisMiddleware(runtime: DecisionRuntime(gatekeeper: gatekeeper)))
        router.on("/transfer", method: .post) { _, context in
            ran.count.withLock { $0 += 1 }
            return "moved by \(context.portcullis?.principal ?? "?")"
        }
        router.get("/transfer") { _, _ in "form" }
        let basic = ("Authorization", String.basic("alice", "pw"))
        try await Application(router: router).test(.router) { client in
            let forged = S.fields([basic, ("Sec-Fetch-Site", "cross-site"), ("Origin", "https://evil.example.net")])
            try await client.execute(uri: "/transfer", method: .post, headers: forged) { response in
                XCTAssertEqual(response.status, .forbidden)
                XCTAssertNil(response.headers[.wwwAuthenticate])
                XCTAssertTrue(String(buffer: response.body).contains(#""detail":"Cross-site request refused.","reason":"csrf_failed""#))
            }
            XCTAssertEqual(ran.count.withLock { $0 }, 0)
            let decision = try XCTUnwrap(log.entries.last { $0.message == "decision" })
            XCTAssertEqual(decision.metadata["reason"], "csrf_failed")
            XCTAssertEqual(decision.metadata["method"], "POST")
            XCTAssertEqual(
                decision.metadata["detail"],
                "POST with Basic credentials: Sec-Fetch-Site cross-site, Origin https://evil.example.net not in origins")
            try await client.execute(uri: "/transfer", method: .get, headers: forged) { response in
                XCTAssertEqual(String(buffer: response.body), "form")
            }
            let own = S.fields([basic, ("Sec-Fetch-Site", "same-origin"), ("Origin", "https://intranet.example.com")])
            try await client.execute(uri: "/transfer", method: .post, headers: own) { response in
                XCTAssertEqual(String(buffer: response.body), "moved by alice")
            }
            XCTAssertEqual(ran.count.withLock { $0 }, 1)
        }
    }
}

/// How often a route ran: a class, so escaping route closures can share one Mutex.
private final class RouteRuns: Sendable {
    let count = Mutex(0)
}
