/// One header of a request, as a way in hands it to the host and the host lays it out for the
/// plugins (``RequestLayout``).
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
