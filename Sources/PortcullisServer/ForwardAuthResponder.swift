package import HTTPTypes
public import Hummingbird
import HummingbirdCore
package import NIOCore
package import Portcullis
public import PortcullisHummingbird
package import PortcullisRuntime

/// The daemon's endpoints:
/// - `/auth` (stack `default`) and `/auth/{stack}`, any method (a trailing slash is ignored):
///   the forward-auth check. The
///   original request comes from `X-Original-Method`/`X-Original-URI` (nginx) or
///   `X-Forwarded-Method`/`-Uri`/`-Host` (Traefik, Caddy); the peer is the TCP peer (the proxy),
///   and the client is resolved from `X-Forwarded-For`/`Forwarded` through `[proxy] trusted`.
///   Allow → `[server] allow_status` (200) with the principal and attribute headers; deny →
///   the gatekeeper's response, unchanged; an unknown stack → 404.
/// - `GET /healthz` → 200 `ok`.
///
/// `/metrics` is not here: it has its own listener (``MetricsResponder``).
public struct ForwardAuthResponder: HTTPResponder {
    public typealias Context = PortcullisRequestContext
    let runtime: DecisionRuntime
    let settings: ServerSettings

    package init(runtime: DecisionRuntime, settings: ServerSettings) {
        self.runtime = runtime
        self.settings = settings
    }

    /// Hummingbird's way in (tests' `.router`, embedding): the same answers the daemon's own
    /// pipeline (``EndpointChannel``) serves.
    public func respond(to request: Request, context: Context) async throws -> Response {
        try await Self.hummingbirdResponse(answer(request.head, peer: context.remoteAddress))
    }

    /// An endpoint's answer as a Hummingbird response, after its fail delay.
    static func hummingbirdResponse(_ answer: EndpointAnswer) async throws -> Response {
        switch answer {
        case .now(let response, let delay):
            if delay > .zero { try? await Task.sleep(for: delay) }
            return response.hummingbirdResponse
        case .waiting(let rest):
            return await rest().hummingbirdResponse
        }
    }

    /// The endpoints, for any transport: the request head as HTTPTypes has it, the TCP peer.
    package func answer(_ request: HTTPRequest, peer: SocketAddress?) -> EndpointAnswer {
        // Hummingbird's URI reading of the target, so both transports route alike.
        let path = URI(request.path ?? "").path
        switch path {
        case "/healthz":
            return .now(Self.healthy)
        case "/auth":
            return check(request, stack: "default", peer: peer)
        case _ where path.hasPrefix("/auth/"):
            // `/auth/` and `/auth/office/` are `/auth` and `/auth/office` (nginx rewrites often leave the slash).
            var name = path.dropFirst("/auth/".count)
            if name.hasSuffix("/") { name = name.dropLast() }
            return check(request, stack: name.isEmpty ? "default" : String(name), peer: peer)
        default:
            return .now(Self.notFound("No such endpoint: use /auth, /auth/{stack} or /healthz."))
        }
    }

    func check(_ request: HTTPRequest, stack: String, peer: SocketAddress?) -> EndpointAnswer {
        // One snapshot per request: a reload between these steps must not mix two configurations.
        let gatekeeper = runtime.gatekeepers.current
        guard gatekeeper.stack(named: stack) != nil else {
            return .now(Self.notFound("No stack named by this URL."))
        }
        let peerAddress = IPAddress(peer)
        let fromProxy = peerAddress.map { gatekeeper.configuration.resolver.isTrusted($0) } ?? false
        let original = Self.originalRequest(request, peer: peerAddress, headers: fromProxy ? settings.originalRequest : nil)
        switch runtime.decideWithoutWaiting(original, stack: stack, gatekeeper: gatekeeper) {
        case .decided(let decision, let failDelay):
            return .now(response(for: decision), after: failDelay)
        case .waiting(let rest):
            return .waiting { [self] in response(for: await rest()) }
        }
    }

    /// The HTTP answer to one check, whichever transport carries it: the one place a decision
    /// becomes status, headers and body.
    func response(for decision: DecisionRuntime.Decision) -> AuthResponse {
        decision.response
    }

    static let healthy = AuthResponse(status: 200, headers: [HTTPHeader("Content-Type", "text/plain; charset=utf-8")], body: Array("ok\n".utf8))

    /// The request the proxy is asking about, rebuilt from one family of forwarding headers
    /// (`headers`: nil when the peer is not a trusted proxy, whose headers then describe nothing).
    /// Every header of the check request goes to the plugins as is (Authorization, Cookie, …).
    package static func originalRequest(_ request: HTTPRequest, peer: IPAddress?, headers family: ServerSettings.OriginalRequestHeaders?) -> AuthRequest {
        let headers = request.headerFields.map { HTTPHeader($0.name.rawName, $0.value) }
        func value(_ name: String) -> String? {
            guard let value = headers.first(where: { $0.name.equalsIgnoringASCIICase(name) })?.value, !value.isEmpty else { return nil }
            return value
        }
        let method: String?
        var path: String?
        var host: String? = nil
        switch family {
        case .xOriginal?:
            (method, path) = (value("X-Original-Method"), value("X-Original-URI"))
        case .xForwarded?:
            (method, path, host) = (value("X-Forwarded-Method"), value("X-Forwarded-Uri"), value("X-Forwarded-Host"))
        case nil:
            (method, path) = (nil, nil)
        }
        // A trusted proxy that leaves the original method or target out describes a request we do
        // not know: both stay empty (never the check request's own `GET /auth`, which would make
        // every request look safe to csrf and like `/` to authz); path plugins refuse an empty one.
        var target = path ?? (family == nil ? request.path ?? "" : "")
        if !target.isEmpty && !target.hasPrefix("/") && target != "*" {
            // Some proxies send a full URL: keep the origin-form target.
            if let scheme = target.range(of: "://"), let slash = target[scheme.upperBound...].firstIndex(of: "/") {
                target = String(target[slash...])
            } else {
                target = "/"
            }
        }
        return AuthRequest(
            method: method ?? (family == nil ? request.method.rawValue : ""), path: target,
            host: host ?? request.authority ?? value("Host") ?? "",
            headers: headers, peer: peer)
    }

    static func notFound(_ detail: String) -> AuthResponse {
        let body = JSONText.object([
            ("type", "\"about:blank\""), ("title", JSONText.string("Not Found")), ("status", "404"), ("detail", JSONText.string(detail)),
        ])
        return AuthResponse(status: 404, headers: [HTTPHeader("Content-Type", "application/problem+json"), HTTPHeader("Cache-Control", "no-store")],
                            body: Array(body.utf8))
    }
}
