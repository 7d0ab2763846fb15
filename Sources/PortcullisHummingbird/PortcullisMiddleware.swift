public import Hummingbird
public import NIOCore
public import Portcullis
// The runtime comes with the middleware: an app imports one module.
@_exported public import PortcullisRuntime

/// Who a request was allowed as: set by ``PortcullisMiddleware`` before the route runs.
public struct PortcullisIdentity: Sendable, Equatable {
    public var principal: String?
    public var attributes: [Attribute]
    public var stack: String

    public init(principal: String?, attributes: [Attribute], stack: String) {
        self.principal = principal
        self.attributes = attributes
        self.stack = stack
    }

    /// The first attribute named `name`.
    public func attribute(_ name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }
}

/// A request context that can carry a Portcullis identity. Adopt it in your own context, or use
/// ``PortcullisRequestContext``. `remoteAddress` is the TCP peer the client address is resolved
/// from (through `[proxy] trusted`).
public protocol PortcullisRequestContextProtocol: RemoteAddressRequestContext {
    var portcullis: PortcullisIdentity? { get set }
}

/// A ready-made context: the basic one, plus the peer address and the identity.
public struct PortcullisRequestContext: PortcullisRequestContextProtocol {
    public var coreContext: CoreRequestContextStorage
    public var portcullis: PortcullisIdentity?
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        portcullis = nil
    }
}

/// Protects the routes behind it with a named stack. An allow puts the principal and attributes
/// in `context.portcullis` and runs the route; a deny answers exactly what the daemon answers for
/// the same request (both go through ``Gatekeeper/response(for:)``): status, every
/// `WWW-Authenticate` challenge, problem+json body.
/// The runtime is a `Service`: add it to the application's services so its blocking pool stops
/// with the application (`Application(router: router, services: [runtime])`).
public struct PortcullisMiddleware<Context: PortcullisRequestContextProtocol>: RouterMiddleware {
    let runtime: DecisionRuntime
    let stack: String

    public init(runtime: DecisionRuntime, stack: String = "default") {
        self.runtime = runtime
        self.stack = stack
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let authRequest = AuthRequest(
            method: request.method.rawValue, path: request.uri.description,
            host: request.head.authority ?? "",
            headers: request.portcullisHeaders, peer: IPAddress(context.remoteAddress))
        let decision = await runtime.decide(authRequest, stack: stack)
        guard decision.outcome.isAllowed else { return decision.response.hummingbirdResponse }
        var context = context
        context.portcullis = PortcullisIdentity(principal: decision.outcome.principal, attributes: decision.outcome.attributes, stack: stack)
        return try await next(request, context)
    }
}
