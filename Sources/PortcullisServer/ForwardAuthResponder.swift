public import Hummingbird
import NIOCore
public import Portcullis
public import PortcullisHummingbird
public import PortcullisRuntime

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

    public func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        switch path {
        case "/healthz":
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        case "/auth":
            return await check(request, stack: "default", peer: context.remoteAddress)
        case _ where path.hasPrefix("/auth/"):
            // `/auth/` and `/auth/office/` are `/auth` and `/auth/office` (nginx rewrites often leave the slash).
            var name = path.dropFirst("/auth/".count)
            if name.hasSuffix("/") { name = name.dropLast() }
            return await check(request, stack: name.isEmpty ? "default" : String(name), peer: context.remoteAddress)
        default:
            return Self.notFound("No such endpoint: use /auth, /auth/{stack} or /healthz.")
        }
    }

    func check(_ request: Request, stack: String, peer: SocketAddress?) async -> Response {
        // One snapshot per request: a reload between these steps must not mix two configurations.
        let gatekeeper = runtime.gatekeepers.current
        guard gatekeeper.stack(named: stack) != nil else {
            return Self.notFound("No stack named by this URL.")
        }
        let peerAddress = IPAddress(peer)
        let fromProxy = peerAddress.map { gatekeeper.configuration.resolver.isTrusted($0) } ?? false
        let original = Self.originalRequest(request, peer: peerAddress, headers: fromProxy ? settings.originalRequest : nil)
        let decision = await runtime.decide(original, stack: stack, gatekeeper: gatekeeper)
        return decision.response.hummingbirdResponse
    }

    /// The request the proxy is asking about, rebuilt from one family of forwarding headers
    /// (`headers`: nil when the peer is not a trusted proxy, whose headers then describe nothing).
    /// Every header of the check request goes to the plugins as is (Authorization, Cookie, …).
    package static func originalRequest(_ request: Request, peer: IPAddress?, headers family: ServerSettings.OriginalRequestHeaders?) -> AuthRequest {
        let headers = request.portcullisHeaders
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
        var target = path ?? (family == nil ? request.uri.description : "")
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
            host: host ?? request.head.authority ?? value("Host") ?? "",
            headers: headers, peer: peer)
    }

    static func notFound(_ detail: String) -> Response {
        let body = JSONText.object([
            ("type", "\"about:blank\""), ("title", JSONText.string("Not Found")), ("status", "404"), ("detail", JSONText.string(detail)),
        ])
        return Response(status: .notFound, headers: [.contentType: "application/problem+json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
