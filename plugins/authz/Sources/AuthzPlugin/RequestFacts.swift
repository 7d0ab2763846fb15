import PortcullisNetwork
public import PortcullisPluginKit

/// What the rules look at, read from the request once: the method's bits, the normalized path,
/// the host without its port, the client, and the identity's principal, groups and scopes
/// (split by the attribute convention of docs/plugin-abi.md: one attribute, items separated by
/// commas; every attribute of that name counts). A class, so that the rules read one reference.
public final class RequestFacts: Sendable {
    let methods: MethodSet
    public let path: RequestPath
    /// `path.text` as bytes, for the rules' byte comparisons.
    let pathBytes: [UInt8]
    /// The path's keys in ``RuleIndex``.
    let segments: (first: String, two: String?)
    let host: String
    let client: IPAddress?
    let principal: String
    let groups: [Substring]
    let scopes: [Substring]
    let attributes: [Attribute]

    init(methods: MethodSet, path: RequestPath, host: String, client: IPAddress?, identity: Identity) {
        self.methods = methods
        self.path = path
        pathBytes = Array(path.text.utf8)
        segments = RuleIndex.segments(of: path.text)
        self.host = HostPattern.normalized(host)
        self.client = client
        principal = identity.principal
        attributes = identity.attributes
        groups = Self.items(of: "groups", in: identity.attributes)
        scopes = Self.items(of: "scopes", in: identity.attributes)
    }

    /// Whether the attribute `name` carries one of `values` as an item.
    func hasAny(_ values: [String], in name: String) -> Bool {
        for attribute in attributes where attribute.name == name {
            for item in attribute.value.split(separator: ",") where values.contains(where: { $0.utf8.elementsEqual(item.utf8) }) {
                return true
            }
        }
        return false
    }

    static func items(of name: String, in attributes: [Attribute]) -> [Substring] {
        var items: [Substring] = []
        for attribute in attributes where attribute.name == name {
            items += attribute.value.split(separator: ",")
        }
        return items
    }
}
