internal import CPortcullisPlugin
public import PortcullisNetwork

/// A credential as a unit test writes it, owning its bytes (see ``PluginRequest/withTestRequest``).
public enum TestCredential: Sendable {
    case none
    case basic(user: [UInt8], password: [UInt8])
    case bearer(token: [UInt8])
    case other(scheme: String, value: [UInt8])
    case malformed(scheme: String)

    /// A Basic credential from UTF-8 text.
    public static func basic(_ user: String, _ password: String) -> TestCredential {
        .basic(user: Array(user.utf8), password: Array(password.utf8))
    }
}

extension PluginRequest {
    /// Lays out a real `pc_request`, as the host does, and calls `body` with its view: plugin unit
    /// tests then read the credential through the same byte views as a plugin loaded by the host.
    /// The request is valid only inside `body`. For tests; the host builds its own requests.
    public static func withTestRequest<Result>(
        credential: TestCredential = .none, client: IPAddress? = nil, peer: IPAddress? = nil,
        method: String = "GET", path: String = "/", host: String = "localhost",
        headers: [(name: String, value: String)] = [], stack: String = "default", identity: Identity? = nil,
        _ body: (PluginRequest) throws -> Result
    ) rethrows -> Result {
        // Every string goes into one arena; pc_str values are offsets until the arena is pinned.
        var arena: [UInt8] = []
        func add(_ bytes: some Collection<UInt8>) -> Range<Int> {
            let start = arena.count
            arena.append(contentsOf: bytes)
            return start..<arena.count
        }
        var kind = PC_CREDENTIAL_NONE
        var scheme = 0..<0, user = 0..<0, password = 0..<0, token = 0..<0
        switch credential {
        case .none:
            break
        case .basic(let userBytes, let passwordBytes):
            kind = PC_CREDENTIAL_BASIC
            (scheme, user, password) = (add("Basic".utf8), add(userBytes), add(passwordBytes))
        case .bearer(let tokenBytes):
            kind = PC_CREDENTIAL_BEARER
            (scheme, token) = (add("Bearer".utf8), add(tokenBytes))
        case .other(let name, let value):
            kind = PC_CREDENTIAL_OTHER
            (scheme, token) = (add(name.utf8), add(value))
        case .malformed(let name):
            kind = PC_CREDENTIAL_MALFORMED
            scheme = add(name.utf8)
        }
        let fields = (add(method.utf8), add(path.utf8), add(host.utf8), add(stack.utf8))
        let headerRanges = headers.map { (add($0.name.utf8), add($0.value.utf8)) }
        let principal = add((identity?.principal ?? "").utf8)
        let attributeRanges = (identity?.attributes ?? []).map { (add($0.name.utf8), add($0.value.utf8)) }

        return try arena.withUnsafeBufferPointer { arenaBuffer in
            func str(_ range: Range<Int>) -> pc_str {
                guard let base = arenaBuffer.baseAddress, !range.isEmpty else { return pc_str(data: nil, length: 0) }
                return pc_str(data: UnsafeRawPointer(base + range.lowerBound).assumingMemoryBound(to: CChar.self), length: range.count)
            }
            let pairs = headerRanges.map { pc_pair(name: str($0.0), value: str($0.1)) }
            let attributes = attributeRanges.map { pc_pair(name: str($0.0), value: str($0.1)) }
            return try pairs.withUnsafeBufferPointer { pairBuffer in try attributes.withUnsafeBufferPointer { attributeBuffer in
                var request = pc_request()
                request.struct_size = UInt32(MemoryLayout<pc_request>.size)
                request.method = str(fields.0)
                request.path = str(fields.1)
                request.host = str(fields.2)
                request.stack = str(fields.3)
                request.headers = pairBuffer.baseAddress
                request.header_count = pairBuffer.count
                request.peer = pc_address(peer)
                request.client = pc_address(client)
                request.credential.kind = kind
                request.credential.scheme = str(scheme)
                request.credential.user = str(user)
                request.credential.password = str(password)
                request.credential.token = str(token)
                request.principal = str(principal)
                request.attributes = attributes.isEmpty ? nil : attributeBuffer.baseAddress
                request.attribute_count = attributes.count
                return try withUnsafePointer(to: &request) { try body(PluginRequest($0)) }
            } }
        }
    }
}

extension pc_address {
    fileprivate init(_ address: IPAddress?) {
        self.init()
        guard let address else { return }
        family = address.bitWidth == 32 ? PC_ADDRESS_IPV4 : PC_ADDRESS_IPV6
        withUnsafeMutableBytes(of: &bytes) { raw in
            for (index, byte) in address.bytes.enumerated() { raw[index] = byte }
        }
    }
}
