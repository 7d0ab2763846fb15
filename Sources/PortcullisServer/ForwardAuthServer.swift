import Foundation
public import NIOCore
import NIOPosix
public import Hummingbird
import HummingbirdCore
public import Logging
public import Portcullis
public import PortcullisHummingbird
public import PortcullisRuntime
import ServiceLifecycle
import UnixSignals

/// `portcullis serve`: the forward-auth daemon. Runs until SIGTERM/SIGINT (graceful: in-flight
/// checks finish); SIGHUP reloads the configuration file.
public final class ForwardAuthServer: Sendable {
    public let configPath: String
    public let runtime: DecisionRuntime
    public let metrics: ServerMetrics
    let settings: ServerSettings
    let listen: String
    let logger: Logger
    private let reloads = SerialReloads()

    /// Loads the configuration fully (every plugin, every instance) or throws its error.
    public convenience init(configPath: String, logger: Logger = Logger(label: "portcullis")) throws(ConfigError) {
        try self.init(configPath: configPath, logger: logger, makeStoreBackend: StoreBackends.standard)
    }

    /// `makeStoreBackend` makes the `[store]` backend once, at start: the store (and every count in
    /// it) outlives reloads.
    package init(configPath: String, logger: Logger, makeStoreBackend: StoreBackendFactory) throws(ConfigError) {
        let gatekeeper = try Gatekeeper(contentsOf: configPath, logger: logger, makeStoreBackend: makeStoreBackend)
        let metrics = ServerMetrics()
        self.configPath = configPath
        self.metrics = metrics
        self.logger = logger
        settings = gatekeeper.configuration.server
        listen = gatekeeper.configuration.listen
        gatekeeper.store.observeBackendState { up in metrics.setStoreUp(up) }
        runtime = DecisionRuntime(
            gatekeepers: ReloadableGatekeeper(gatekeeper),
            pool: BlockingPool(threads: settings.blockingThreads, queue: settings.blockingQueue),
            checkTimeout: settings.checkTimeout,
            logger: logger, observer: { outcome, gatekeeper, elapsed in metrics.record(outcome, gatekeeper: gatekeeper, elapsed: elapsed) },
            onCheckTimeout: { stack in metrics.countCheckTimeout(stack: stack) })
    }

    public var responder: ForwardAuthResponder {
        ForwardAuthResponder(runtime: runtime, settings: settings)
    }

    /// `host:port` → a bind address; `[::1]:9180` for IPv6.
    public static func bindAddress(_ listen: String) -> BindAddress? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return .hostname(host.isEmpty ? "0.0.0.0" : host, port: port)
    }

    /// The Hummingbird application on `[server] listen` (also what tests drive with `app.test(.router)`).
    /// Every connection must send its request head within `header_timeout` and is closed after
    /// `idle_timeout` without a request; at most `max_connections` are open (`connections`,
    /// shared with the metrics listener when the daemon runs).
    public func application(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) throws(ConfigError) -> some ApplicationProtocol {
        try application(connections: connectionTable(), onServerRunning: onServerRunning)
    }

    func application(connections: ConnectionTable,
                     onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) throws(ConfigError) -> some ApplicationProtocol {
        guard let address = Self.bindAddress(listen) else {
            throw ConfigError(file: configPath, line: nil, key: "server.listen", message: "'\(listen)' is not host:port")
        }
        let responder = self.responder
        return Application(
            responder: responder, server: endpoints(responder.answer, guardedBy: connections),
            configuration: ApplicationConfiguration(address: address, serverName: nil),
            onServerRunning: onServerRunning, logger: logger)
    }

    /// The application serving `/metrics` on `[server] metrics_listen`; nil when that is off. Its
    /// connections are bounded like the auth listener's.
    public func metricsApplication() throws(ConfigError) -> (some ApplicationProtocol)? {
        try metricsApplication(connections: connectionTable())
    }

    func metricsApplication(connections: ConnectionTable) throws(ConfigError) -> (some ApplicationProtocol)? {
        guard let listen = settings.metricsListen else { return nil as Application<MetricsResponder>? }
        guard let address = Self.bindAddress(listen) else {
            throw ConfigError(file: configPath, line: nil, key: "server.metrics_listen", message: "'\(listen)' is not host:port")
        }
        let responder = MetricsResponder(metrics: metrics)
        return Application(
            responder: responder, server: endpoints(responder.answer, guardedBy: connections),
            configuration: ApplicationConfiguration(address: address, serverName: nil), logger: logger)
    }

    /// The listener's server: the endpoints on the daemon's own NIO HTTP/1 pipeline
    /// (``EndpointChannel``) with the connection limits (``ConnectionGuard``: `max_connections`,
    /// `header_timeout`; `idle_timeout`). Hummingbird binds it and shuts it down gracefully; the
    /// application's responder serves only `app.test(.router)`, answering the same.
    private func endpoints(_ route: @escaping EndpointRoute, guardedBy connections: ConnectionTable) -> HTTPServerBuilder {
        let channel = EndpointChannel(
            route: route, connections: connections,
            headerTimeout: TimeAmount(settings.headerTimeout), idleTimeout: TimeAmount(settings.idleTimeout))
        return HTTPServerBuilder { _ in channel }
    }

    /// A table for `[server] max_connections`, never above a margin below the descriptor limit in force.
    func connectionTable() -> ConnectionTable {
        let cap = DescriptorLimit.connectionCap(configured: settings.maxConnections, descriptors: DescriptorLimit.current())
        return ConnectionTable(limit: cap) { [metrics] shed in metrics.countShedConnection(shed.rawValue) }
    }

    /// Builds a new gatekeeper from the file, fully, then swaps it in; on any error the running
    /// one stays in service. Returns whether the new configuration was taken. Reloads asked for
    /// together (SIGHUP, the config watch) run one at a time, in order.
    @discardableResult
    public func reload() async -> Bool {
        await reloads.run { await self.loadAndSwap() }
    }

    private func loadAndSwap() async -> Bool {
        let path = configPath
        let logger = self.logger
        // Loading reads files and dlopens plugins: keep it off the event loops (which may also be
        // Swift concurrency's executor, see `portcullis serve`).
        // The running store goes on: counts survive the reload ([store] changes need a restart).
        let store = runtime.gatekeepers.current.store
        let load: @Sendable () -> Result<Gatekeeper, ConfigError> = {
            do throws(ConfigError) {
                return .success(try Gatekeeper(configuration: Configuration(contentsOf: path), logger: logger, store: store))
            } catch {
                return .failure(error)
            }
        }
        let result: Result<Gatekeeper, ConfigError>
        do {
            result = try await NIOThreadPool.singleton.runIfActive(load)
        } catch {
            result = load()
        }
        switch result {
        case .success(let gatekeeper):
            let old = runtime.gatekeepers.replace(with: gatekeeper)
            if gatekeeper.configuration.listen != old.configuration.listen || gatekeeper.configuration.server != old.configuration.server {
                logger.warning("reload: [server] changes take effect after a restart", metadata: ["file": "\(path)"])
            }
            if gatekeeper.configuration.store != old.configuration.store {
                logger.warning("reload: [store] changes take effect after a restart; the running store keeps its counts", metadata: ["file": "\(path)"])
            }
            logger.info("reload: new configuration in service", metadata: ["file": "\(path)", "stacks": "\(gatekeeper.stackNames.joined(separator: ","))"])
            metrics.countReload(succeeded: true)
            return true
        case .failure(let error):
            logger.error("reload refused; the running configuration stays in service", metadata: ["error": "\(error)"])
            metrics.countReload(succeeded: false)
            return false
        }
    }

    /// One line for systemd's `STATUS=`: what is in service.
    var status: String {
        let stacks = runtime.gatekeepers.current.stackNames.count
        return "serving \(stacks) stack\(stacks == 1 ? "" : "s") on \(listen)"
    }

    /// Serves until SIGTERM or SIGINT; writes `pidFile` while running. Under systemd
    /// (`Type=notify`) says `READY=1` once the listener is bound, every plugin having been loaded
    /// by `init`.
    public func run(pidFile: String?) async throws {
        // Before any listener exists: the connection cap is read from the raised limit.
        let descriptors = DescriptorLimit.raiseToHardLimit()
        let connections = connectionTable()
        let systemd = SystemdNotifier(environment: ProcessInfo.processInfo.environment, logger: logger)
        let app = try application(connections: connections, onServerRunning: { [logger, listen, settings] _ in
            systemd.ready(status: self.status)
            logger.info("serving", metadata: [
                "listen": "\(listen)", "metrics_listen": "\(settings.metricsListen ?? "off")", "pid": "\(getpid())",
                "max_connections": "\(connections.limit)", "descriptors": "\(descriptors)",
            ])
        })
        if let configured = settings.maxConnections, configured > connections.limit {
            logger.warning("server.max_connections is above what the descriptor limit allows; using the lower value",
                           metadata: ["max_connections": "\(configured)", "descriptors": "\(descriptors)", "used": "\(connections.limit)"])
        }
        // The runtime stops its pool after the listeners have drained (services stop in reverse order).
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: runtime), .init(service: app), .init(service: ReloadOnHangup(server: self, systemd: systemd)),
        ]
        if settings.watch { services.append(.init(service: ConfigWatch(server: self, systemd: systemd))) }
        if let metricsApp = try metricsApplication(connections: connections) { services.append(.init(service: metricsApp)) }
        if let path = settings.adminSocket {
            // Refused before anything listens: a socket another user could replace is no admin channel.
            try AdminSocket.checkDirectory(of: path)
            let admin = LockoutAdmin(store: runtime.gatekeepers.current.store, logger: logger)
            services.append(.init(service: AdminSocket(path: path, admin: admin, logger: logger)))
        }
        // Last, so it hears of a shutdown first and says STOPPING=1.
        services.append(.init(service: SystemdService(notifier: systemd, environment: ProcessInfo.processInfo.environment)))
        if let pidFile {
            try "\(getpid())\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        }
        defer { if let pidFile { try? FileManager.default.removeItem(atPath: pidFile) } }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Reloads the configuration on each SIGHUP until graceful shutdown.
/// Reloads the configuration on each SIGHUP until graceful shutdown, telling systemd
/// (`RELOADING=1`, then `READY=1`; the old configuration serves if the new one is refused).
struct ReloadOnHangup: Service {
    let server: ForwardAuthServer
    let systemd: SystemdNotifier

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            systemd.reloading()
            await server.reload()
            systemd.ready(status: server.status)
        }
    }
}
