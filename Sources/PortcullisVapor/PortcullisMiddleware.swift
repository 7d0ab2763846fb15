import Portcullis
// The runtime comes with the middleware: an app imports one module.
@_exported public import PortcullisRuntime
public import Vapor

/// Protects the routes behind it with a named stack, through the same ``DecisionRuntime`` as the
/// daemon and the Hummingbird middleware. An allow logs the principal in as a ``PortcullisUser``
/// on `request.auth` and runs the route; a deny answers exactly what the daemon answers for the
/// same request (both go through ``Gatekeeper/response(for:)``): status, every
/// `WWW-Authenticate` challenge, every other header, the problem+json body.
///
/// An allow without a principal (an `anonymous = true` entry) runs the route with no user logged
/// in: `PortcullisUser.guardMiddleware()` refuses it, as it should.
///
/// Register the runtime's lifecycle too, so its blocking pool stops with the application:
/// `app.lifecycle.use(PortcullisLifecycle(runtime: runtime))`.
public struct PortcullisMiddleware: AsyncMiddleware {
    let runtime: DecisionRuntime
    let stack: String

    public init(runtime: DecisionRuntime, stack: String = "default") {
        self.runtime = runtime
        self.stack = stack
    }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let decision = await runtime.decide(AuthRequest(request), stack: stack)
        guard decision.outcome.isAllowed else { return decision.response.vaporResponse }
        if let principal = decision.outcome.principal {
            request.auth.login(PortcullisUser(name: principal, attributes: decision.outcome.attributes, stack: stack))
        }
        return try await next.respond(to: request)
    }
}
