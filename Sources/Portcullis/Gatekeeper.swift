public import Logging
import PortcullisNetwork
import PortcullisProtocol

/// The host: a configuration with its plugins loaded and its stacks built, ready to decide
/// requests. Immutable; a reload builds a new one and swaps it in whole.
public final class Gatekeeper: Sendable {
    public let configuration: Configuration
    public let logger: Logger
    private let stacks: [String: Stack]
    /// This gatekeeper's verification cache (nil when `[cache] enabled = false`). A reload makes
    /// a new gatekeeper, and so a new, empty cache.
    package let cache: VerificationCache?
    /// The shared store plugins count in (ABI 1.2 host services): one per process, handed from
    /// gatekeeper to gatekeeper on reload so no count is lost.
    package let store: SharedStore
    /// Stacks that are valid but probably wrong (see `StackLint`, `EmptyListLint`), and what plugins
    /// logged as warnings while they were created; shown by `config check` and logged at start.
    public let warnings: [String]
    /// Which successful load in this process this is (``ConfigurationGeneration``): 1 at start, one
    /// more for every reload taken. Decision logs carry it.
    public let generation: Int

    /// Loads every plugin the configuration names and creates every instance. Any failure is an
    /// error naming the file, the entry's line and key, and what went wrong. `pluginDirectory`:
    /// where this program keeps its plugins, used unless `plugin_dir` or `PORTCULLIS_PLUGIN_DIR`
    /// says otherwise (nil: the default search, see ``PluginSearchPath``).
    public convenience init(configuration: Configuration, pluginDirectory: String? = nil,
                            logger: Logger = Logger(label: "portcullis")) throws(ConfigError) {
        try self.init(configuration: configuration, logger: logger, clock: { ContinuousClock.now }, pluginDirectory: pluginDirectory)
    }

    /// A store for `configuration`'s `[store]`, its backend made by `makeBackend` (the daemon's knows
    /// PostgreSQL; ``StoreBackends/standard`` only memory). A failure names `[store] backend`.
    package static func makeStore(for configuration: Configuration, logger: Logger,
                                  makeBackend: StoreBackendFactory = StoreBackends.standard) throws(ConfigError) -> SharedStore {
        do {
            return try SharedStore(configuration: configuration.store, makeBackend: makeBackend, logger: logger)
        } catch {
            throw ConfigError(file: configuration.file, line: nil, key: "store.backend", message: "\(error)")
        }
    }

    /// `clock` tells the verification cache the time (tests move it instead of sleeping). `store`:
    /// the process's shared store, kept across reloads; nil makes one for `[store]` (memory only).
    package init(configuration: Configuration, logger: Logger, clock: @escaping @Sendable () -> ContinuousClock.Instant,
                 store: SharedStore? = nil, pluginDirectory: String? = nil) throws(ConfigError) {
        self.configuration = configuration
        self.logger = logger
        let store = if let store { store } else { try Self.makeStore(for: configuration, logger: logger) }
        self.store = store
        let cache = configuration.cache.enabled ? VerificationCache(settings: configuration.cache, now: clock) : nil
        self.cache = cache
        let searchPath = PluginSearchPath.current(
            configured: configuration.pluginDirectory, file: configuration.file, program: pluginDirectory)
        var stacks: [String: Stack] = [:]
        var pluginWarnings: [String] = []
        for stack in configuration.stacks {
            var entries: [Stack.Entry] = []
            for entry in stack.entries {
                do {
                    let library = try PluginLoader.load(name: entry.plugin, path: entry.path, searchPath: searchPath)
                    var pluginLogger = logger
                    pluginLogger[metadataKey: "plugin"] = "\(entry.plugin)"
                    pluginLogger[metadataKey: "entry"] = "\(entry.key)"
                    let instance = try PluginInstance(
                        library: library, arguments: entry.arguments, logger: pluginLogger,
                        store: StoreAccess(store: store, namespace: entry.plugin))
                    entries.append(Stack.Entry(instance: instance, control: entry.control, anonymous: entry.anonymous))
                    pluginWarnings += instance.creationWarnings.map { "\(entry.key) (\(entry.plugin)): \($0)" }
                } catch {
                    throw ConfigError(file: configuration.file, line: entry.line, key: entry.key, message: error.description)
                }
            }
            stacks[stack.name] = Stack(name: stack.name, entries: entries, cache: cache)
        }
        self.stacks = stacks
        warnings = configuration.stacks.flatMap { stack in
            stacks[stack.name].map { StackLint.warnings(for: $0, configuration: stack) } ?? []
        } + EmptyListLint.warnings(for: configuration) + LockedOutStatusLint.warnings(for: configuration) + pluginWarnings
        generation = ConfigurationGeneration.next()
    }

    /// Convenience: parse and load `path`; `pluginDirectory` as in ``init(configuration:pluginDirectory:logger:)``.
    public convenience init(contentsOf path: String, pluginDirectory: String? = nil,
                            logger: Logger = Logger(label: "portcullis")) throws(ConfigError) {
        try self.init(configuration: Configuration(contentsOf: path), pluginDirectory: pluginDirectory, logger: logger)
    }

    /// Parses and loads `path` with `store` (a reload keeps the running one), or a new store whose
    /// backend `makeStoreBackend` makes.
    package convenience init(contentsOf path: String, logger: Logger, store: SharedStore? = nil,
                             makeStoreBackend: StoreBackendFactory) throws(ConfigError) {
        let configuration = try Configuration(contentsOf: path)
        let store = if let store { store } else { try Self.makeStore(for: configuration, logger: logger, makeBackend: makeStoreBackend) }
        try self.init(configuration: configuration, logger: logger, store: store)
    }

    /// A gatekeeper on the process's `store` (what a reload builds: the counts go on).
    package convenience init(configuration: Configuration, logger: Logger, store: SharedStore) throws(ConfigError) {
        try self.init(configuration: configuration, logger: logger, clock: { ContinuousClock.now }, store: store)
    }

    public var stackNames: [String] { configuration.stacks.map(\.name) }

    package func stack(named name: String) -> Stack? { stacks[name] }

    /// The plugin images this gatekeeper's stacks use.
    package var plugins: [PluginLibrary] {
        var seen = Set<String>()
        return configuration.stacks.flatMap { stacks[$0.name]?.entries.map(\.plugin) ?? [] }.filter { seen.insert($0.path).inserted }
    }

    /// Decides `request` with the stack `stack`, then tells the stack's observing plugins how it
    /// ended (ABI 1.1 `observe`) before it returns. Synchronous: call it off the event loop when
    /// `stack(named:)?.isBlocking` is true. An unknown stack is a deny (fail closed).
    ///
    /// The ways in that answer first and observe afterwards use ``evaluateWithoutBlocking(_:stack:)``
    /// and ``finish(_:)``, then deliver ``Outcome/observation`` themselves.
    public func evaluate(_ request: AuthRequest, stack name: String = "default") -> Outcome {
        let outcome = decide(request, stack: name)
        outcome.observation?.deliver()
        return outcome
    }

    /// Decides without telling the observers.
    func decide(_ request: AuthRequest, stack name: String) -> Outcome {
        let prepared = PreparedRequest(request, resolver: configuration.resolver)
        guard let stack = stacks[name] else {
            return configuration.responsePolicy.stamped(Outcome(
                decision: .deny, reason: .pluginError, principal: nil, attributes: [], challenges: [], trace: [],
                stack: name, client: prepared.client, clientSource: prepared.clientSource, credential: prepared.credential.summary,
                note: "no stack named '\(name)'", failDelay: .zero, cacheTTL: nil))
        }
        return mapped(stack.evaluate(prepared), stack: stack, request: prepared)
    }

    /// Decides `request` if no blocking plugin has to be called for it (every blocking entry
    /// reached is answered by the cache); otherwise returns the work left. Safe on an event loop:
    /// it calls only non-blocking plugins. A way in tries this first for a blocking stack and
    /// sends only the rest to its pool. The observers are not told: deliver ``Outcome/observation``.
    package func evaluateWithoutBlocking(_ request: AuthRequest, stack name: String = "default") -> Attempt {
        guard let stack = stacks[name] else { return .decided(decide(request, stack: name)) }
        let prepared = PreparedRequest(request, resolver: configuration.resolver)
        switch stack.evaluateWithoutBlocking(prepared) {
        case .decided(let outcome): return .decided(mapped(outcome, stack: stack, request: prepared))
        case .needsBlocking(let pending): return .needsBlocking(pending)
        }
    }

    /// Finishes a decision that needs a blocking plugin. Blocks: call it on a pool. The observers
    /// are not told: deliver ``Outcome/observation``.
    package func finish(_ pending: PendingDecision) -> Outcome {
        mapped(pending.stack.evaluate(pending.request, answered: pending.answered), stack: pending.stack, request: pending.request)
    }

    /// A deny decided around the stacks (the pool full or too slow, a failure), with the status
    /// this gatekeeper's policy gives it. Never an allow.
    package func hostFailure(_ reason: ReasonCode, stack: String, note: String) -> Outcome {
        configuration.responsePolicy.stamped(.hostFailure(reason, stack: stack, note: note))
    }

    /// The outcome with the status the policy gives it, and what the observers will be told.
    private func mapped(_ outcome: consuming Outcome, stack: Stack, request: PreparedRequest) -> Outcome {
        var outcome = consume outcome
        configuration.responsePolicy.stamp(&outcome)
        if stack.observers.any { outcome.observation = Observation(stack: stack, request: request, outcome: outcome) }
        return outcome
    }

    /// The HTTP answer for an outcome, identical for every way in.
    public func response(for outcome: Outcome) -> AuthResponse {
        configuration.responsePolicy.response(for: outcome)
    }
}
