import ArgumentParser
import Dispatch
import Logging
import NIOCore
import NIOPosix
import Portcullis
import PortcullisServer

#if canImport(Glibc)
import Glibc
#endif

/// `portcullis serve`: the forward-auth daemon for nginx `auth_request`, Traefik ForwardAuth and
/// Caddy `forward_auth`.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the forward-auth daemon.",
        discussion: """
            Endpoints: /auth (stack default) and /auth/{stack} for any method, GET /healthz on [server] listen; \
            GET /metrics on [server] metrics_listen (127.0.0.1:9181 unless set; "off" serves none).
            SIGHUP (or `portcullis reload --pid-file F`) reloads the configuration; a bad one is logged \
            and the running one keeps serving. SIGTERM/SIGINT stop gracefully.
            Exit status: 0 after a graceful stop, 2 configuration error.
            """
    )

    @Option(name: .long, help: "The configuration file.")
    var config: String

    @Option(name: .customLong("pid-file"), help: "Write the daemon's process id to this file while it runs.")
    var pidFile: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func run() throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("--log-level '\(logLevel)' is not a log level") }
        var logger = Logger(label: "portcullis")
        logger.logLevel = level
        let server: ForwardAuthServer
        do {
            server = try ForwardAuthServer(configPath: config, logger: logger, makeStoreBackend: storeBackendFactory)
        } catch {
            writeError("portcullis: \(error)")
            throw ExitCode(2)
        }
        // Plugins' counters (the host's `count` service) go to the daemon's /metrics.
        server.metrics.bootstrapProcessMetrics()
        // Swift concurrency runs on NIO's event loops: a request is handled on the thread that read
        // it, with no hop to the global pool and back (a third of the daemon's throughput). Safe
        // here because nothing blocks in a task: blocking plugins run on the bounded pool, and a
        // reload builds the new gatekeeper on NIO's thread pool.
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        do {
            try waitFor { [pidFile] in try await server.run(pidFile: pidFile) }
        } catch {
            writeError("portcullis: \(error)")
            throw ExitCode(2)
        }
    }
}

/// `portcullis reload`: sends SIGHUP to the daemon whose pid file is given.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Ask a running daemon to reload its configuration (SIGHUP).",
        discussion: "The daemon logs whether the new configuration was taken. Exit status: 0 signal sent, 2 no such daemon."
    )

    @Option(name: .customLong("pid-file"), help: "The file given to `portcullis serve --pid-file`.")
    var pidFile: String

    func run() throws {
        guard let handle = fopen(pidFile, "r") else {
            writeError("portcullis: cannot read \(pidFile): \(String(cString: strerror(errno)))")
            throw ExitCode(2)
        }
        var buffer = [CChar](repeating: 0, count: 32)
        let line = fgets(&buffer, Int32(buffer.count), handle) == nil ? "" : String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        fclose(handle)
        guard let pid = pid_t(line.filter { $0 != "\n" && $0 != " " }), pid > 1 else {
            writeError("portcullis: \(pidFile) does not hold a process id")
            throw ExitCode(2)
        }
        guard kill(pid, SIGHUP) == 0 else {
            writeError("portcullis: cannot signal process \(pid): \(String(cString: strerror(errno)))")
            throw ExitCode(2)
        }
    }
}
