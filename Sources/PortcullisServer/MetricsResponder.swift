public import Hummingbird
import NIOCore

/// `GET /metrics` → Prometheus text, on `[server] metrics_listen` only. Kept off the auth listener:
/// per-request plugin timings are a timing oracle for whoever can reach `/auth`.
public struct MetricsResponder: HTTPResponder {
    public typealias Context = BasicRequestContext
    let metrics: ServerMetrics

    public init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        guard request.uri.path == "/metrics" else {
            return ForwardAuthResponder.notFound("No such endpoint: use /metrics.")
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }
}
