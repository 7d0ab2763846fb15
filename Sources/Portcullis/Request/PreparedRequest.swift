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
    func withCRequest<R>(stack: String, _ body: (UnsafeMutablePointer<pc_request>) -> R) -> R {
        var arena = CArena()
        let method = arena.add(request.method)
        let path = arena.add(request.path)
        let host = arena.add(request.host)
        let headers = request.headers.map { (arena.add($0.name), arena.add($0.value)) }
        let scheme = arena.add(credential.scheme)
        let user = arena.add(credential.user)
        let password = arena.add(credential.password)
        let token = arena.add(credential.token)
        let stackName = arena.add(stack)

        return arena.bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress
            let pairs = headers.map { pc_pair(name: arena.view($0.0, base: base), value: arena.view($0.1, base: base)) }
            return pairs.withUnsafeBufferPointer { pairBuffer in
                var raw = pc_request()
                raw.struct_size = UInt32(MemoryLayout<pc_request>.size)
                raw.method = arena.view(method, base: base)
                raw.path = arena.view(path, base: base)
                raw.host = arena.view(host, base: base)
                raw.headers = pairBuffer.baseAddress
                raw.header_count = pairBuffer.count
                raw.peer = pc_address(request.peer)
                raw.client = pc_address(client)
                raw.credential.kind = credential.kind.rawValue
                raw.credential.scheme = arena.view(scheme, base: base)
                raw.credential.user = arena.view(user, base: base)
                raw.credential.password = arena.view(password, base: base)
                raw.credential.token = arena.view(token, base: base)
                raw.stack = arena.view(stackName, base: base)
                raw.principal = CArena.emptyView
                return withUnsafeMutablePointer(to: &raw) { body($0) }
            }
        }
    }
}
