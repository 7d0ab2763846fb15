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
    /// The IP address of a socket address; nil for Unix sockets. Read from the `sockaddr`, not
    /// through `ipAddress`, whose text this would parse back (callgrind: 3 k instructions for
    /// every request the daemon answers). An IPv4-mapped peer stays IPv6, as its text would.
    public init?(_ address: SocketAddress?) {
        switch address {
        case .v4(let peer)?:
            self = .v4(UInt32(bigEndian: peer.address.sin_addr.s_addr))
        case .v6(let peer)?:
            self = withUnsafeBytes(of: peer.address.sin6_addr) { IPAddress(ipv6NetworkOrder: $0) }
        default:
            return nil
        }
    }
}
