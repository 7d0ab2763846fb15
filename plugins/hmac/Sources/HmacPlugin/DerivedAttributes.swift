import PortcullisPluginKit

/// The identity attributes the plugin derives from standard claims, named and shaped as every
/// plugin writes them (docs/plugin-abi.md, multi-valued attributes: one attribute, items joined
/// by ','):
/// - `scopes` from `scope` (a space-separated string, RFC 8693 §4.2, RFC 9068 §2.2.3) and `scp`
///   (a string or an array of strings, as Microsoft Entra and Okta send it);
/// - `groups` from `groups_claim`, `roles` from `roles_claim` (a string or an array of strings).
///
/// A claim of the wrong type refuses the token (`invalid_claim`): a malformed list is not read
/// as an empty one. An item that contains ',' cannot be carried and is left out (it could never
/// equal a rule's item, which cannot contain one either); duplicates are dropped.
struct DerivedAttributes: Sendable {
    static let names = ["scopes", "groups", "roles"]
    var groupsClaim: ClaimPath?
    var rolesClaim: ClaimPath?

    func attributes(from claims: JSONObject) throws(TokenRejection) -> [Attribute] {
        // Claim by claim rather than over array literals: this runs for every verified token,
        // and callgrind showed the literals' allocations costing more than the lists themselves.
        var attributes: [Attribute] = []
        var scopes: [String] = []
        if let value = claims["scope"] {
            // RFC 8693 §4.2: `scope` is one string; `scp` may also be an array.
            guard value.stringValue != nil, let items = Self.items(value, splittingSpaces: true) else { throw .invalidClaim("scope") }
            scopes = items
        }
        if let value = claims["scp"] {
            guard let items = Self.items(value, splittingSpaces: true) else { throw .invalidClaim("scp") }
            scopes += items
        }
        if let list = Self.joined(scopes) { attributes.append(Attribute("scopes", list)) }
        if let attribute = try Self.list("groups", at: groupsClaim, in: claims) { attributes.append(attribute) }
        if let attribute = try Self.list("roles", at: rolesClaim, in: claims) { attributes.append(attribute) }
        return attributes
    }

    /// The attribute `name` from the list at `path`, if the policy names one and the token has it.
    private static func list(_ name: String, at path: ClaimPath?, in claims: JSONObject) throws(TokenRejection) -> Attribute? {
        guard let path, let value = path.value(in: claims) else { return nil }
        guard let items = items(value, splittingSpaces: false) else { throw .invalidClaim(path.text) }
        return joined(items).map { Attribute(name, $0) }
    }

    /// A string (split on spaces when `splittingSpaces`) or an array of strings; nil for anything else.
    private static func items(_ value: JSONValue, splittingSpaces: Bool) -> [String]? {
        switch value {
        case .string(let text):
            // Split on the UTF-8 bytes: callgrind showed Character-wise splitting and searching here
            // costing more per token than its whole JSON parse. Splitting at an ASCII space keeps
            // every piece valid UTF-8.
            guard splittingSpaces, text.utf8.contains(UInt8(ascii: " ")) else { return [text] }
            return text.utf8.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        case .array(let values):
            var items: [String] = []
            for value in values {
                guard let text = value.stringValue else { return nil }
                items.append(text)
            }
            return items
        default:
            return nil
        }
    }

    /// Items joined by ',', without empty ones, ones containing ',', and repeats; nil when none is left.
    private static func joined(_ items: [String]) -> String? {
        if items.count == 1, let item = items.first {
            return item.isEmpty || item.utf8.contains(UInt8(ascii: ",")) ? nil : item
        }
        var kept: [String] = []
        for item in items where !item.isEmpty && !item.utf8.contains(UInt8(ascii: ",")) && !kept.contains(item) { kept.append(item) }
        return kept.isEmpty ? nil : kept.joined(separator: ",")
    }
}
