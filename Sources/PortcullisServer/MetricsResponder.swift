package import HTTPTypes
public import Hummingbird
import HummingbirdCore
public import NIOCore
import Portcullis

/// `GET /metrics` → Prometheus text, on `[server] metrics_listen` only. Kept off the auth listener:
/// per-request plugin timings are a timing oracle for whoever can reach `/auth`.
public struct MetricsResponder: HTTPResponder {
    public typealias Context = BasicRequestContext
    let metrics: ServerMetrics

    public init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        try await ForwardAuthResponder.hummingbirdResponse(answer(request.head, peer: nil))
    }

    /// The listener's one endpoint, for any transport (Hummingbird's, the daemon's ``EndpointChannel``).
    package func answer(_ request: HTTPRequest, peer: SocketAddress?) -> EndpointAnswer {
        guard URI(request.path ?? "").path == "/metrics" else {
            return .now(ForwardAuthResponder.notFound("No such endpoint: use /metrics."))
        }
        return .now(AuthResponse(status: 200, headers: [HTTPHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                 body: metrics.exposition()))
    }
}
