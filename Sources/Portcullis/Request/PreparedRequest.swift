internal import CPortcullisPlugin
import PortcullisNetwork

/// A request with everything the host works out once: the parsed credential and the resolved
/// client address. It crosses the ABI once per stack evaluation, as one arena of bytes.
struct PreparedRequest: Sendable {
    let request: AuthRequest
    let credential: Credential
    let client: IPAddress?
    let clientSource: ClientAddressResolver.Source

    init(_ request: AuthRequest, resolver: ClientAddressResolver) {
        self.request = request
        credential = AuthorizationParser.parse(request)
        let resolution = resolver.resolve(peer: request.peer, headers: request.headers)
        client = resolution.client
        clientSource = resolution.source
    }

    /// Lays the request out as a `pc_request`, valid during `body`. The 1.1 identity fields start
    /// empty; the stack fills them as allows count (``IdentityLayout``).
    func withCRequest(stack: String, _ body: (UnsafeMutablePointer<pc_request>) -> Void) {
        RequestLayout.with(
            method: request.method, path: request.path, host: request.host,
            headers: request.headers, peer: request.peer, client: client,
            credential: credential, stack: stack, body)
    }
}
