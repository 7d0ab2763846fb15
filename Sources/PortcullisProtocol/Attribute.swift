/// A fact about an authenticated principal (`uid`, `groups`, `role`), in the order the plugin gave it.
public struct Attribute: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
