package import HTTPTypes
import HummingbirdCore
import Logging
package import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
package import Portcullis

/// What an endpoint answers for one request: right away (after a deny's fail delay), or when the
/// blocking pool is done with it.
package enum EndpointAnswer: Sendable {
    case now(AuthResponse, after: Duration)
    case waiting(@Sendable () async -> AuthResponse)

    static func now(_ response: AuthResponse) -> EndpointAnswer { .now(response, after: .zero) }
}

/// An endpoint's routing, given the request head (as Hummingbird's `Request.head` carries it,
/// so both transports hand the endpoints the same value) and the TCP peer.
package typealias EndpointRoute = @Sendable (HTTPRequest, SocketAddress?) -> EndpointAnswer

/// The daemon's listeners (`/auth`, `/healthz`; `/metrics` on its own) served on a plain swift-nio
/// HTTP/1 pipeline: decoder, ``ConnectionGuard``, ``EndpointHandler``, all on the connection's
/// event loop. It plugs into Hummingbird's server (binding, graceful shutdown, `onServerRunning`,
/// `app.test(.live)`) as its child channel, but no request goes through Hummingbird's router or
/// its per-connection async loop: the profile of `/auth` under wrk showed thread hand-offs between
/// the event loop and the concurrency executor, task allocation and the generic router costing
/// more than the decision itself. A cache hit is now decided and answered within one `channelRead`.
struct EndpointChannel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let channel: any Channel
    }

    let route: EndpointRoute
    let connections: ConnectionTable
    let headerTimeout: TimeAmount
    let idleTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // Error handling off: a malformed request gets Hummingbird's answer (400, close) from
            // the handler, so the daemon answers as it did. NIO's outbound header validation off:
            // every response head is built from HTTPTypes fields (``EndpointHandler/responseHead(_:closing:)``),
            // whose names are validated and whose values are legalized (CR, LF, NUL become spaces)
            // when they are made, so it would check again what cannot be wrong, on every answer.
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: true, withServerUpgrade: nil, withErrorHandling: false, withOutboundHeaderValidation: false)
            try channel.pipeline.syncOperations.addHandler(ConnectionGuard(table: connections, headerTimeout: headerTimeout))
            try channel.pipeline.syncOperations.addHandler(EndpointHandler(route: route, idleTimeout: idleTimeout))
            return Value(channel: channel)
        }
    }

    /// Nothing to do per connection but wait for it to close: the handlers answer on the event loop.
    func handle(value: Value, logger: Logger) async {
        try? await value.channel.closeFuture.get()
    }
}

/// Answers each request on the connection's event loop. One request at a time: NIO's pipelining
/// handler holds the next one until this one's response has ended.
final class EndpointHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let route: EndpointRoute
    private let idleTimeout: TimeAmount
    private var inFlight = false
    private var quiescing = false
    /// When the last answer went out (or the connection opened): the idle timeout counts from here.
    private var idleSince = NIODeadline.now()
    private var idleTimer: Scheduled<Void>?

    init(route: @escaping EndpointRoute, idleTimeout: TimeAmount) {
        self.route = route
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armIdleTimer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armIdleTimer(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
    }

    /// Answers at the request head: a check's answer never depends on a body (proxies send none
    /// to `auth_request` or `forward_auth`), so whatever body comes is read and discarded without
    /// holding the answer. Answered, the connection counts as idle again, so a client trickling
    /// an endless body is closed by the idle timeout instead of holding its slot for ever; NIO's
    /// pipelining handler still holds a next request until this one's end has been read.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            inFlight = true
            respond(to: head, context: context)
        case .body, .end:
            break
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        // The same conversion Hummingbird's HTTP1 channel makes (first Host → authority), so the
        // endpoints see the request exactly as the Hummingbird responder does.
        guard let request = try? HTTPRequest(head, secure: false, splitCookie: false) else {
            badRequest(context)
            return
        }
        let keepAlive = head.isKeepAlive
        switch route(request, context.channel.remoteAddress) {
        case .now(let response, let delay) where delay <= .zero:
            write(response, keepAlive: keepAlive, context: context)
        case .now(let response, let delay):
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: TimeAmount(delay)) {
                let (handler, context) = bound.value
                handler.write(response, keepAlive: keepAlive, context: context)
            }
        case .waiting(let rest):
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let promise = context.eventLoop.makePromise(of: AuthResponse.self)
            promise.completeWithTask { await rest() }
            promise.futureResult.whenSuccess { response in
                let (handler, context) = bound.value
                handler.write(response, keepAlive: keepAlive, context: context)
            }
        }
    }

    /// Status, headers and body exactly as `AuthResponse.hummingbirdResponse` makes them through
    /// Hummingbird: the fields as HTTPTypes accepts them, then `Content-Length`, as HTTP/1.1.
    /// Each field goes through `HTTPField` (the name validated, the value legalized) straight into
    /// NIO's headers, as the HTTPTypes → HTTP/1 conversion would put it, without building the
    /// `HTTPFields` in between.
    ///
    /// `closing`: the connection closes after this answer, and says so (`Connection: close`, RFC
    /// 9112 §9.6). Without it a proxy that asked to close (nginx sends `Connection: close` unless
    /// told `proxy_set_header Connection ""`) took the connection as kept alive, reused it, and
    /// found it reset: about one request in sixteen retried in nginx's error log (issue 16).
    static func responseHead(_ response: AuthResponse, closing: Bool = false) -> HTTPResponseHead {
        var headers: [(String, String)] = []
        headers.reserveCapacity(response.headers.count + 2)
        var hasLength = false
        for header in response.headers {
            guard let name = HTTPField.Name(header.name) else { continue }
            if name == .contentLength { hasLength = true }
            headers.append((name.rawName, HTTPField(name: name, value: header.value).value))
        }
        if !hasLength { headers.append((HTTPField.Name.contentLength.rawName, String(response.body.count))) }
        if closing { headers.append((HTTPField.Name.connection.rawName, "close")) }
        let status = HTTPResponse.Status(code: response.status)
        return HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: status.code, reasonPhrase: status.reasonPhrase),
            headers: HTTPHeaders(headers))
    }

    private func write(_ response: AuthResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let keepingAlive = keepAlive && !quiescing
        context.write(wrapOutboundOut(.head(Self.responseHead(response, closing: !keepingAlive))), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        inFlight = false
        if keepingAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            idleSince = .now()
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        }
    }

    /// What Hummingbird answers a request NIO cannot parse: 400, then the connection closes.
    private func badRequest(_ context: ChannelHandlerContext) {
        let head = HTTPResponseHead(version: .http1_1, status: .badRequest, headers: ["Connection": "close", "Content-Length": "0"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError, context.channel.isActive {
            badRequest(context)
        } else {
            context.close(promise: nil)
        }
    }

    /// Graceful shutdown: an idle connection closes now, a busy one after its answer.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            if !inFlight { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// `[server] idle_timeout`: a connection with no request for that long is closed, counted from
    /// the accept and from each answer, as Hummingbird's HTTP1 channel does. One timer per
    /// connection that re-arms itself, rather than a timer scheduled and cancelled per request.
    private func armIdleTimer(_ context: ChannelHandlerContext) {
        guard idleTimer == nil else { return }
        idleSince = .now()
        arm(at: idleSince + idleTimeout, context)
    }

    private func arm(at deadline: NIODeadline, _ context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.idleTimerFired(context)
        }
    }

    private func idleTimerFired(_ context: ChannelHandlerContext) {
        idleTimer = nil
        guard context.channel.isActive else { return }
        // A request in flight is not idle: look again one timeout after its answer at the earliest.
        let due = (inFlight ? NIODeadline.now() : idleSince) + idleTimeout
        if !inFlight && due <= .now() {
            context.close(promise: nil)
        } else {
            arm(at: due, context)
        }
    }
}
