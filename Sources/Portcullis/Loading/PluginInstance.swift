internal import CPortcullisPlugin
import Logging
import PortcullisProtocol
import Synchronization

/// One configured instance of a plugin (one stack entry): created from its arguments,
/// destroyed when the last stack using it goes away (after a reload, once in-flight
/// requests finish).
final class PluginInstance: @unchecked Sendable {
    // @unchecked: the handle and host block are written once in init and freed in deinit;
    // the ABI requires check() to be thread-safe on one instance.
    let library: PluginLibrary
    private let handle: UnsafeMutableRawPointer
    private let host: UnsafeMutablePointer<pc_host>
    private let services: Unmanaged<HostServices>
    /// What the plugin logged at warning level or above while it was created: configuration
    /// warnings, shown by `config check` beside the host's own.
    let creationWarnings: [String]

    /// `store`: the process's shared store under this plugin's namespace (ABI 1.2 store services).
    init(library: PluginLibrary, arguments: [(name: String, value: String)], logger: Logger, store: StoreAccess? = nil) throws(PluginLoadError) {
        let sink = LogSink(logger: logger)
        let services = Unmanaged.passRetained(HostServices(sink: sink, store: store, counters: PluginCounters(plugin: library.name)))
        let host = UnsafeMutablePointer<pc_host>.allocate(capacity: 1)
        host.initialize(to: pc_host())
        host.pointee.struct_size = UInt32(MemoryLayout<pc_host>.size)
        host.pointee.abi_minor = PORTCULLIS_ABI_MINOR
        host.pointee.context = services.toOpaque()
        host.pointee.log = { context, level, message in
            HostServices.from(context)?.sink.log(level: level, message)
        }
        if store != nil { HostServices.installStore(into: host) }
        HostServices.installCount(into: host)

        var created: UnsafeMutableRawPointer? = nil
        var error = [CChar](repeating: 0, count: 1024)
        let status = CArena.withPairs(arguments) { pairs, count in
            library.descriptor.pointee.create?(host, pairs, count, &created, &error, error.count) ?? -1
        }
        guard status == 0, let created else {
            let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            host.deallocate()
            services.release()
            throw .createFailed(plugin: library.name, message: message.isEmpty ? "create failed without a message" : message)
        }
        self.library = library
        self.services = services
        creationWarnings = sink.endCreation()
        self.host = host
        handle = created
    }

    deinit {
        library.descriptor.pointee.destroy?(handle)
        host.deallocate()
        services.release()
    }

    /// Calls the plugin and copies its answer out, then lets the plugin release its memory.
    func check(_ request: UnsafePointer<pc_request>) -> PluginAnswer {
        var result = pc_result()
        result.struct_size = UInt32(MemoryLayout<pc_result>.size)
        // A plugin that leaves the result untouched answered PC_VERDICT_ERROR (zero): fail closed.
        library.descriptor.pointee.check?(handle, request, &result)
        defer { library.descriptor.pointee.release?(handle, &result) }
        return PluginAnswer(result)
    }

    /// Tells the plugin how a decision of its stack ended (ABI 1.1); nothing for a 1.0 plugin.
    func observe(_ request: UnsafePointer<pc_request>, _ decision: UnsafePointer<pc_decision>) {
        guard library.observes else { return }
        library.descriptor.pointee.observe?(handle, request, decision)
    }

    /// The generation of the plugin's data (ABI 1.1), which keys its cached answers; 0 when it reports none.
    func generation() -> UInt64 {
        guard library.reportsGeneration else { return 0 }
        return library.descriptor.pointee.generation?(handle) ?? 0
    }
}

/// A plugin's answer, copied out of the ABI's result before it is released.
struct PluginAnswer: Sendable {
    var rawVerdict: UInt32
    var rawReason: UInt32
    var principal: String
    var attributes: [Attribute]
    var challenge: String?
    var detail: String?
    /// Seconds; nil = no hint.
    var cacheTTL: Int?
    var failDelayMilliseconds: Int
    /// ABI 1.2: seconds until the same request may succeed (a lock expires); 0 = no hint.
    var retryAfterSeconds = 0

    init(_ result: pc_result) {
        rawVerdict = result.verdict
        rawReason = result.reason
        principal = CArena.string(result.principal)
        attributes = result.attributes == nil || result.attribute_count == 0 ? [] : UnsafeBufferPointer(start: result.attributes, count: result.attribute_count).map {
            Attribute(CArena.string($0.name), CArena.string($0.value))
        }
        // Only a string the plugin set is decoded: most answers carry no challenge or detail.
        challenge = result.challenge.length == 0 || result.challenge.data == nil ? nil : CArena.string(result.challenge)
        detail = result.detail.length == 0 || result.detail.data == nil ? nil : CArena.string(result.detail)
        cacheTTL = result.cache_ttl < 0 ? nil : Int(result.cache_ttl)
        failDelayMilliseconds = Int(result.fail_delay_ms)
        retryAfterSeconds = Int(result.retry_after_s)
    }

    init(verdict: Verdict, reason: ReasonCode? = nil, principal: String = "", challenge: String? = nil, detail: String? = nil) {
        rawVerdict = verdict.rawValue
        rawReason = reason?.rawValue ?? 0
        self.principal = principal
        attributes = []
        self.challenge = challenge
        self.detail = detail
        cacheTTL = nil
        failDelayMilliseconds = 0
    }
}

/// Receives a plugin instance's log lines.
final class LogSink: Sendable {
    let logger: Logger
    /// Warnings logged during create(); nil once the instance exists.
    private let creationWarnings = Mutex<[String]?>([])
    init(logger: Logger) { self.logger = logger }

    func endCreation() -> [String] {
        creationWarnings.withLock { warnings in
            defer { warnings = nil }
            return warnings ?? []
        }
    }

    func log(level: UInt32, _ message: pc_str) {
        // A plugin's message may quote the request: one line, bounded.
        let text = LogText.escaped(CArena.string(message))
        if level >= PC_LOG_WARNING, level != PC_LOG_NOTICE { creationWarnings.withLock { $0?.append(text) } }
        switch level {
        case PC_LOG_DEBUG: logger.debug("\(text)")
        case PC_LOG_INFO: logger.info("\(text)")
        case PC_LOG_NOTICE: logger.notice("\(text)")
        case PC_LOG_WARNING: logger.warning("\(text)")
        default: logger.error("\(text)")
        }
    }
}
