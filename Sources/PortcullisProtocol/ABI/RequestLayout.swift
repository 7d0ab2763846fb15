package import CPortcullisPlugin
package import PortcullisNetwork

/// The one place a `pc_request` is laid out from Swift values: the host builds every request a
/// plugin sees with it, and the SDK's test requests are built the same way, so a plugin's unit
/// test reads exactly the bytes the host would pass. One arena holds every string; an empty
/// string still points at a valid byte. The 1.1 identity fields start empty (``IdentityLayout``
/// fills them).
package enum RequestLayout {
    /// Lays the request out, valid during `body`. Concrete types throughout: it runs for every
    /// stack evaluation, from another module, where a generic would run unspecialized.
    package static func with<Result>(
        method: String, path: String, host: String, headers: [HTTPHeader],
        peer: IPAddress?, client: IPAddress?, credential: Credential, stack: String,
        _ body: (UnsafeMutablePointer<pc_request>) throws -> Result
    ) rethrows -> Result {
        var arena = CArena()
        let fields = (arena.add(method), arena.add(path), arena.add(host), arena.add(stack))
        let headerHandles = headers.map { (arena.add($0.name), arena.add($0.value)) }
        let secrets = (arena.add(credential.scheme), arena.add(credential.user), arena.add(credential.password), arena.add(credential.token))

        return try arena.bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress
            let pairs = headerHandles.map { pc_pair(name: arena.view($0.0, base: base), value: arena.view($0.1, base: base)) }
            return try pairs.withUnsafeBufferPointer { pairBuffer in
                var raw = pc_request()
                raw.struct_size = UInt32(MemoryLayout<pc_request>.size)
                raw.method = arena.view(fields.0, base: base)
                raw.path = arena.view(fields.1, base: base)
                raw.host = arena.view(fields.2, base: base)
                raw.stack = arena.view(fields.3, base: base)
                raw.headers = pairBuffer.baseAddress
                raw.header_count = pairBuffer.count
                raw.peer = pc_address(peer)
                raw.client = pc_address(client)
                raw.credential.kind = credential.kind.rawValue
                raw.credential.scheme = arena.view(secrets.0, base: base)
                raw.credential.user = arena.view(secrets.1, base: base)
                raw.credential.password = arena.view(secrets.2, base: base)
                raw.credential.token = arena.view(secrets.3, base: base)
                raw.principal = CArena.emptyView
                return try withUnsafeMutablePointer(to: &raw) { try body($0) }
            }
        }
    }
}
