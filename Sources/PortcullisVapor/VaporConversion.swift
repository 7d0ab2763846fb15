public import Portcullis
public import Vapor

extension AuthResponse {
    /// The Vapor response for this answer: status, headers and body exactly as ``ResponsePolicy``
    /// wrote them (Vapor adds only `Content-Length`).
    public var vaporResponse: Response {
        var fields = HTTPHeaders()
        for header in headers { fields.add(name: header.name, value: header.value) }
        let body: Response.Body = body.isEmpty ? .empty : Response.Body(buffer: ByteBuffer(bytes: body))
        return Response(status: HTTPResponseStatus(statusCode: status), headers: fields, body: body)
    }
}

extension AuthRequest {
    /// What the gatekeeper needs of a Vapor request. The peer is the TCP peer (`remoteAddress`),
    /// never Vapor's `peerAddress`, which believes `Forwarded`/`X-Forwarded-For` from anyone: the
    /// gatekeeper resolves the client from the peer through `[proxy] trusted`. Every header field
    /// goes as sent, in order (repeated fields stay separate, so two credentials are refused).
    public init(_ request: Request) {
        self.init(
            method: request.method.rawValue, path: request.url.string,
            host: request.headers.first(name: .host) ?? "",
            headers: request.headers.map { HTTPHeader($0.name, $0.value) },
            peer: request.remoteAddress?.ipAddress.flatMap { IPAddress($0) })
    }
}
