/// A JSON object's members in document order, looked up by name.
///
/// An array rather than a `Dictionary`: JWT headers and claims have a handful of members,
/// and a linear scan over them costs less than hashing every name (this is on the
/// verification path, whose budget is one HMAC). Names are unique: the parser refuses
/// duplicates.
public struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var members: [(name: String, value: JSONValue)]

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { $1 }))
    }

    public init(_ dictionary: [String: JSONValue]) {
        members = dictionary.keys.sorted().compactMap { name in dictionary[name].map { (name, $0) } }
    }

    init(uniqueMembers: [(name: String, value: JSONValue)]) {
        members = uniqueMembers
    }

    public var count: Int { members.count }
    public var names: [String] { members.map(\.name) }

    public subscript(name: String) -> JSONValue? {
        for member in members where member.name == name { return member.value }
        return nil
    }

    /// Equal when they hold the same names with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.count == rhs.count && lhs.members.allSatisfy { rhs[$0.name] == $0.value }
    }
}
