internal import CPortcullisPlugin
public import PortcullisNetwork
import PortcullisProtocol

/// A read-only view of the request the host passed to `check`.
///
/// Nothing is copied up front: each property reads the host's memory, which stays valid only
/// until `check` returns. Copy what you keep (`Array(bytes)`, `String(...)`).
public struct PluginRequest {
    let raw: UnsafePointer<pc_request>

    init(_ raw: UnsafePointer<pc_request>) {
        self.raw = raw
    }

    /// The original request's method, e.g. `GET`.
    public var method: String { ByteView(raw.pointee.method).text }
    /// The original request's target: path and query as sent.
    public var path: String { ByteView(raw.pointee.path).text }
    /// The original `Host`.
    public var host: String { ByteView(raw.pointee.host).text }
    /// The stack being evaluated.
    public var stack: String { ByteView(raw.pointee.stack).text }

    /// The direct TCP peer.
    public var peer: IPAddress? { IPAddress(raw.pointee.peer) }
    /// The client as resolved by the host through its trusted proxies; nil when unknown.
    public var client: IPAddress? { IPAddress(raw.pointee.client) }

    public var headerCount: Int { raw.pointee.header_count }

    /// The `index`th header of the original request as (name, value) byte views.
    public func header(at index: Int) -> (name: ByteView, value: ByteView) {
        precondition(index >= 0 && index < headerCount, "header index out of range")
        let pair = raw.pointee.headers[index]
        return (ByteView(pair.name), ByteView(pair.value))
    }

    /// Every value of the header `name` (case-insensitive), in order.
    public func headerValues(_ name: String) -> [ByteView] {
        (0..<headerCount).compactMap { index in
            let header = header(at: index)
            return header.name.equalsIgnoringASCIICase(name) ? header.value : nil
        }
    }

    /// The identity the allows before this entry established in this stack (ABI 1.1): who the
    /// credential entries said the caller is, with their attributes (groups, scopes). nil when
    /// none has, or the host is older than 1.1. Authorization and lockout plugins decide with it.
    public var identity: Identity? {
        guard raw.pointee.struct_size >= MemoryLayout<pc_request>.size else { return nil }
        let principal = ByteView(raw.pointee.principal).text
        let count = raw.pointee.attributes == nil ? 0 : raw.pointee.attribute_count
        guard !principal.isEmpty || count > 0 else { return nil }
        let attributes = UnsafeBufferPointer(start: raw.pointee.attributes, count: count).map {
            Attribute(ByteView($0.name).text, ByteView($0.value).text)
        }
        return Identity(principal: principal, attributes: attributes)
    }

    /// The credential the host parsed from `Authorization`.
    public var credential: CredentialView {
        let credential = raw.pointee.credential
        switch CredentialKind(rawValue: credential.kind) ?? .malformed {
        case .none: return .none
        case .basic: return .basic(user: ByteView(credential.user), password: ByteView(credential.password))
        case .bearer: return .bearer(token: ByteView(credential.token))
        case .other: return .other(scheme: ByteView(credential.scheme).text, value: ByteView(credential.token))
        case .malformed: return .malformed(scheme: ByteView(credential.scheme).text)
        }
    }
}

/// The credential the host parsed once from `Authorization` (RFC 7617, RFC 6750), as views of
/// the host's bytes, valid during `check` (the owned form is ``Credential``).
public enum CredentialView {
    case none
    /// The user-id (before the first colon) and the password, as raw bytes: compare bytes,
    /// never strings decoded with replacement characters.
    case basic(user: ByteView, password: ByteView)
    case bearer(token: ByteView)
    /// A well-formed `Authorization` of another scheme.
    case other(scheme: String, value: ByteView)
    /// An `Authorization` header the host could not parse; the scheme if one was recognizable.
    case malformed(scheme: String)
}

/// Bytes owned by the host, valid during `check`.
public struct ByteView {
    public let bytes: UnsafeRawBufferPointer

    init(_ str: pc_str) {
        bytes = UnsafeRawBufferPointer(start: str.data, count: str.data == nil ? 0 : str.length)
    }

    public var count: Int { bytes.count }
    public var isEmpty: Bool { bytes.isEmpty }

    /// The bytes as UTF-8 text, or nil when they are not valid UTF-8.
    public var utf8: String? { String(validating: bytes, as: UTF8.self) }

    /// The bytes as text for display (invalid UTF-8 replaced). Never use it to compare credentials.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Whether the bytes equal `other`, ASCII letters compared case-insensitively (header names).
    public func equalsIgnoringASCIICase(_ other: String) -> Bool {
        ASCIICaseInsensitive.equal(bytes, other.utf8)
    }
}
