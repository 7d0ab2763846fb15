internal import CPortcullisPlugin
public import PortcullisNetwork

extension PluginRequest {
    /// Lays out a real `pc_request`, as the host does, and calls `body` with its view: plugin unit
    /// tests then read the credential through the same byte views as a plugin loaded by the host.
    /// The request is valid only inside `body`. For tests; the host builds its own requests.
    public static func withTestRequest<Result>(
        credential: Credential = .none, client: IPAddress? = nil, peer: IPAddress? = nil,
        method: String = "GET", path: String = "/", host: String = "localhost",
        headers: [(name: String, value: String)] = [], stack: String = "default", identity: Identity? = nil,
        _ body: (PluginRequest) throws -> Result
    ) rethrows -> Result {
        var result: Result?
        try RequestLayout.with(
            method: method, path: path, host: host, headers: headers.map { HTTPHeader($0.name, $0.value) },
            peer: peer, client: client, credential: credential, stack: stack
        ) { raw in
            var laidOut = IdentityLayout()
            if let identity { laidOut.lay(principal: identity.principal, attributes: identity.attributes, into: raw) }
            result = try body(PluginRequest(UnsafePointer(raw)))
        }
        // RequestLayout calls its body exactly once.
        guard let result else { preconditionFailure("RequestLayout.with did not call its body") }
        return result
    }
}
