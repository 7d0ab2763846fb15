public import Hummingbird
import HTTPTypes
public import NIOCore
public import Portcullis

extension AuthResponse {
    /// The Hummingbird response for this answer: status, headers and body exactly as
    /// ``ResponsePolicy`` wrote them.
    public var hummingbirdResponse: Response {
        var fields = HTTPFields()
        for header in headers {
            guard let name = HTTPField.Name(header.name) else { continue }
            fields.append(HTTPField(name: name, value: header.value))
        }
        let body: ResponseBody = body.isEmpty ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        return Response(status: HTTPResponse.Status(code: status), headers: fields, body: body)
    }
}

extension Request {
    /// Every header field as sent, in order (repeated fields stay separate, so the
    /// Authorization parser can refuse two credentials).
    public var portcullisHeaders: [HTTPHeader] {
        headers.map { HTTPHeader($0.name.rawName, $0.value) }
    }
}

extension IPAddress {
    /// The IP address of a socket address; nil for Unix sockets.
    public init?(_ address: SocketAddress?) {
        guard let text = address?.ipAddress else { return nil }
        self.init(text)
    }
}
