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
        try RequestLayout.with(
            method: method, path: path, host: host, headers: headers, name: \.name, value: \.value,
            peer: peer, client: client, credential: credential.layout, stack: stack
        ) { raw in
            var laidOut = IdentityLayout()
            if let identity { laidOut.lay(principal: identity.principal, attributes: identity.attributes, into: raw) }
            return try body(PluginRequest(UnsafePointer(raw)))
        }
    }
}

extension TestCredential {
    /// The ABI's form: `PC_CREDENTIAL_*` and the bytes, as the host's parser would hand them on.
    var layout: RequestLayout.Credential {
        switch self {
        case .none: RequestLayout.Credential(kind: PC_CREDENTIAL_NONE)
        case .basic(let user, let password): RequestLayout.Credential(kind: PC_CREDENTIAL_BASIC, scheme: "Basic", user: user, password: password)
        case .bearer(let token): RequestLayout.Credential(kind: PC_CREDENTIAL_BEARER, scheme: "Bearer", token: token)
        case .other(let scheme, let value): RequestLayout.Credential(kind: PC_CREDENTIAL_OTHER, scheme: scheme, token: value)
        case .malformed(let scheme): RequestLayout.Credential(kind: PC_CREDENTIAL_MALFORMED, scheme: scheme)
        }
    }
}
