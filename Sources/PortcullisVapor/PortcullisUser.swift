public import Portcullis
public import Vapor

/// Who a request was allowed as: logged in on `request.auth` by ``PortcullisMiddleware``, so
/// routes use it the Vapor way (`try req.auth.require(PortcullisUser.self)`,
/// `PortcullisUser.guardMiddleware()`).
public struct PortcullisUser: Authenticatable, Sendable, Equatable {
    /// The principal the stack established.
    public var name: String
    /// What the stack's plugins said about the principal (groups, scopes, the method…), in order.
    public var attributes: [Attribute]
    /// The stack that allowed the request.
    public var stack: String

    public init(name: String, attributes: [Attribute], stack: String) {
        self.name = name
        self.attributes = attributes
        self.stack = stack
    }

    /// The first attribute named `name`.
    public func attribute(_ name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }
}
