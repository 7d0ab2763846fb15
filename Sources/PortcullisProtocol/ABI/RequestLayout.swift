package import CPortcullisPlugin
package import PortcullisNetwork

/// The one place a `pc_request` is laid out from Swift values: the host builds every request a
/// plugin sees with it, and the SDK's test requests are built the same way, so a plugin's unit
/// test reads exactly the bytes the host would pass. One arena holds every string; an empty
/// string still points at a valid byte. The 1.1 identity fields start empty (``IdentityLayout``
/// fills them).
package enum RequestLayout {
    /// Lays the request out, valid during `body`. Concrete types throughout, the body's result
    /// included: it runs for every stack evaluation, from another module, where a generic would
    /// run unspecialized (callgrind showed its metadata lookups on every request). The arena
    /// and the header pairs are temporary allocations sized up front (on the stack when they are
    /// small), so laying out a request allocates nothing; callgrind showed the growing arrays it
    /// used before as a quarter of the host's fixed cost.
    package static func with(
        method: String, path: String, host: String, headers: [HTTPHeader],
        peer: IPAddress?, client: IPAddress?, credential: Credential, stack: String,
        _ body: (UnsafeMutablePointer<pc_request>) throws -> Void
    ) rethrows {
        var size = method.utf8.count + path.utf8.count + host.utf8.count + stack.utf8.count + credential.scheme.utf8.count
            + credential.user.count + credential.password.count + credential.token.count
        for header in headers { size += header.name.utf8.count + header.value.utf8.count }

        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(size, 1)) { bytes in
            try withUnsafeTemporaryAllocation(of: pc_pair.self, capacity: max(headers.count, 1)) { pairs in
                var arena = Cursor(bytes)
                for (index, header) in headers.enumerated() {
                    pairs.initializeElement(at: index, to: pc_pair(name: arena.add(header.name.utf8), value: arena.add(header.value.utf8)))
                }
                var raw = pc_request()
                raw.struct_size = UInt32(MemoryLayout<pc_request>.size)
                raw.method = arena.add(method.utf8)
                raw.path = arena.add(path.utf8)
                raw.host = arena.add(host.utf8)
                raw.stack = arena.add(stack.utf8)
                raw.headers = UnsafePointer(pairs.baseAddress)
                raw.header_count = headers.count
                raw.peer = pc_address(peer)
                raw.client = pc_address(client)
                raw.credential.kind = credential.kind.rawValue
                raw.credential.scheme = arena.add(credential.scheme.utf8)
                raw.credential.user = arena.add(credential.user)
                raw.credential.password = arena.add(credential.password)
                raw.credential.token = arena.add(credential.token)
                raw.principal = CArena.emptyView
                try withUnsafeMutablePointer(to: &raw) { try body($0) }
            }
        }
    }

    /// Copies strings one after another into a buffer sized for all of them.
    private struct Cursor {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        var used = 0

        init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

        /// The bytes' view in the buffer; an empty string gets the ABI's valid empty pointer.
        mutating func add(_ text: some Collection<UInt8>) -> pc_str {
            let destination = UnsafeMutableBufferPointer(rebasing: buffer[used...])
            guard !text.isEmpty, let start = destination.baseAddress else { return CArena.emptyView }
            // Native strings and arrays are contiguous: one memcpy each.
            let copied = text.withContiguousStorageIfAvailable { destination.initialize(fromContentsOf: $0) }
                ?? destination.initialize(fromContentsOf: text)
            used += copied
            return pc_str(data: UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self), length: copied)
        }
    }
}
