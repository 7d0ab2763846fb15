public import PortcullisNetwork

/// One request to decide, as a way in (daemon, middleware, CLI) sees it: the original
/// request's method, target, host and headers, and the direct TCP peer.
public struct AuthRequest: Sendable {
    public var method: String
    /// The request target: path and query, as sent.
    public var path: String
    public var host: String
    public var headers: [HTTPHeader]
    /// The direct TCP peer; nil when unknown (then the client address is unknown too).
    public var peer: IPAddress?

    public init(method: String = "GET", path: String = "/", host: String = "", headers: [HTTPHeader], peer: IPAddress?) {
        self.method = method
        self.path = path
        self.host = host
        self.headers = headers
        self.peer = peer
    }

    public init(method: String = "GET", path: String = "/", host: String = "", headers: [(String, String)] = [], peer: IPAddress?) {
        self.init(method: method, path: path, host: host, headers: headers.map { HTTPHeader($0.0, $0.1) }, peer: peer)
    }

    /// Every value of header `name` (case-insensitive), in order.
    public func values(of name: String) -> [String] {
        headers.filter { $0.name.equalsIgnoringASCIICase(name) }.map(\.value)
    }
}
