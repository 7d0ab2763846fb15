import NIOCore
import NIOHTTP1

/// Per connection, after the HTTP decoder: registers the connection in the ``ConnectionTable``
/// (which may refuse it at the cap) and closes it when no complete request head arrived within
/// `headerTimeout` of its accept. Later requests on a keep-alive connection are bounded by the
/// idle timeout (``EndpointHandler``), which counts from the last response.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let table: ConnectionTable
    private let headerTimeout: TimeAmount
    private var ticket: UInt64?
    private var started = false
    private var headDeadline: Scheduled<Void>?
    private var requestsInFlight = 0

    init(table: ConnectionTable, headerTimeout: TimeAmount) {
        self.table = table
        self.headerTimeout = headerTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        guard let ticket = table.admit(context.channel) else {
            context.close(promise: nil)
            return
        }
        self.ticket = ticket
        let channel = context.channel
        headDeadline = context.eventLoop.scheduleTask(in: headerTimeout) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            headDeadline?.cancel()
            headDeadline = nil
            requestsInFlight += 1
            if let ticket { table.setWaitingForHead(ticket, false) }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            requestsInFlight -= 1
            if requestsInFlight == 0, let ticket { table.setWaitingForHead(ticket, true) }
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    private func stop() {
        headDeadline?.cancel()
        headDeadline = nil
        if let ticket { table.remove(ticket) }
        ticket = nil
    }
}
