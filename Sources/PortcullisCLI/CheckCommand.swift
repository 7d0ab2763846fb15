import ArgumentParser
import Logging
import Portcullis
import PortcullisRuntime
import PortcullisNetwork

#if canImport(Glibc)
import Glibc
#endif

/// `portcullis check`: runs one request through a stack and explains the outcome, as
/// pamtester does for PAM.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run one request through a stack and show the outcome and the trace.",
        discussion: "Exit status: 0 allow, 1 deny, 2 usage or configuration error."
    )

    @Option(name: .long, help: "The configuration file.")
    var config: String

    @Option(name: .long, help: "The stack to run.")
    var stack = "default"

    @Option(name: .long, help: "The request method.")
    var method = "GET"

    @Option(name: .long, help: "The request target (path and query).")
    var path = "/"

    @Option(name: .long, help: "The Host header value.")
    var host = "localhost"

    @Option(name: .customLong("header"), help: "A request header, 'Name: value' (repeatable).")
    var headers: [String] = []

    @Option(name: .customLong("headers-from"),
            help: "Read more headers from a file ('-' = standard input), one 'Name: value' per line: keeps credentials out of ps and shell history.")
    var headersFrom: String?

    @Option(name: .long, help: "The direct peer address.")
    var peer = "127.0.0.1"

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    @Option(name: .customLong("log-level"), help: "What the host and its plugins log on standard error: trace, debug, info (with the decision line), notice, warning, error or critical.")
    var logLevel = "warning"

    func run() throws {
        // The explanation is the output: plugins' info lines (files loaded) would only bury it.
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("--log-level '\(logLevel)' is not a log level") }
        guard let peerAddress = IPAddress(peer) else {
            throw ValidationError("--peer '\(peer)' is not an IP address")
        }
        var lines = headers
        if let headersFrom {
            guard let read = Self.lines(of: headersFrom) else { throw ValidationError("--headers-from: cannot read \(headersFrom)") }
            lines += read.filter { !$0.isEmpty }
        }
        var parsedHeaders: [HTTPHeader] = []
        for header in lines {
            guard let colon = header.firstIndex(of: ":"), colon != header.startIndex else {
                throw ValidationError("headers must be 'Name: value'")
            }
            let value = header[header.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            parsedHeaders.append(HTTPHeader(String(header[..<colon]), String(value)))
        }
        if !parsedHeaders.contains(where: { $0.name.lowercased() == "host" }) {
            parsedHeaders.insert(HTTPHeader("Host", host), at: 0)
        }

        let gatekeeper: Gatekeeper
        do {
            var logger = Logger(label: "portcullis")
            logger.logLevel = level
            gatekeeper = try Gatekeeper(contentsOf: config, logger: logger, makeStoreBackend: storeBackendFactory)
        } catch {
            writeError("portcullis: \(error)")
            throw ExitCode(2)
        }
        guard gatekeeper.stack(named: stack) != nil else {
            writeError("portcullis: \(config) has no stack '\(stack)' (it has: \(gatekeeper.stackNames.joined(separator: ", ")))")
            throw ExitCode(2)
        }
        let request = AuthRequest(method: method, path: path, host: host, headers: parsedHeaders, peer: peerAddress)
        // The runtime every way in uses; observers are told before the command exits. Its
        // decision line goes to standard error only when `--log-level` lets info through.
        let settings = gatekeeper.configuration.server
        let runtime = DecisionRuntime(
            gatekeepers: ReloadableGatekeeper(gatekeeper), pool: BlockingPool(threads: 1, queue: 0),
            checkTimeout: settings.checkTimeout, delivery: .beforeReturning, logger: gatekeeper.logger)
        let outcome = try waitFor { [stack] in
            let outcome = await runtime.decide(request, stack: stack).outcome
            await runtime.shutdown()
            return outcome
        }
        let response = gatekeeper.response(for: outcome)
        let remedy = Remedy.sentence(for: outcome, request: request, stack: gatekeeper.stack(named: stack))
        print(json ? OutcomeReport.json(outcome, response, remedy: remedy) : OutcomeReport.text(outcome, response, remedy: remedy))
        if !outcome.isAllowed { throw ExitCode(1) }
    }

    /// The lines of `path` (`-`: standard input), without line ends; nil when unreadable.
    static func lines(of path: String) -> [String]? {
        var lines: [String] = []
        if path == "-" {
            while let line = readLine(strippingNewline: true) { lines.append(line) }
            return lines
        }
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(buffer) }
        while getline(&buffer, &capacity, file) >= 0, let buffer {
            var line = String(cString: buffer)
            while line.last?.isNewline == true { line.removeLast() }
            lines.append(line)
        }
        return lines
    }
}
