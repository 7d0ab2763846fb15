public import Logging
public import Portcullis

/// Decides requests for every Hummingbird way in (the daemon and the middleware), the same way:
/// the gatekeeper in service, blocking stacks on the bounded pool within `checkTimeout`, the
/// plugin's fail delay before a deny is answered (a task sleep: no thread is held), and one log
/// line per decision.
public final class AuthEvaluator: Sendable {
    public let gatekeepers: ReloadableGatekeeper
    public let pool: BlockingPool
    /// How long a blocking stack's pool run (waiting for a thread included) may take before the
    /// request is answered `backend_unavailable`; the run itself finishes in the background.
    public let checkTimeout: Duration
    let logger: Logger
    let observer: (@Sendable (Outcome, Gatekeeper, Duration) -> Void)?
    let onCheckTimeout: (@Sendable (_ stack: String) -> Void)?

    /// - Parameters:
    ///   - observer: called once per decision with the outcome, its gatekeeper and the time it took
    ///     (the daemon's metrics).
    ///   - onCheckTimeout: called for each check answered at its deadline (the daemon's metrics).
    public init(gatekeepers: ReloadableGatekeeper, pool: BlockingPool, checkTimeout: Duration = .seconds(5),
                logger: Logger = Logger(label: "portcullis"),
                observer: (@Sendable (Outcome, Gatekeeper, Duration) -> Void)? = nil,
                onCheckTimeout: (@Sendable (_ stack: String) -> Void)? = nil) {
        self.gatekeepers = gatekeepers
        self.pool = pool
        self.checkTimeout = checkTimeout
        self.logger = logger
        self.observer = observer
        self.onCheckTimeout = onCheckTimeout
    }

    /// A gatekeeper's decision, and the gatekeeper whose policy maps it to HTTP.
    public struct Decision: Sendable {
        public var outcome: Outcome
        public var gatekeeper: Gatekeeper
        public var response: AuthResponse { gatekeeper.response(for: outcome) }
    }

    /// Decides `request` with `gatekeeper` — the snapshot the caller took once for this request
    /// (proxy trust, stack lookup and decision all from one configuration); default: the one in
    /// service now. Observing plugins are told afterwards, off the request's path.
    public func decide(_ request: AuthRequest, stack name: String, gatekeeper: Gatekeeper? = nil) async -> Decision {
        let gatekeeper = gatekeeper ?? gatekeepers.current
        let started = ContinuousClock.now
        var outcome: Outcome
        // Cache hits and non-blocking entries need no thread: answer them here; only the rest
        // takes a pool slot, starting where this attempt stopped.
        switch gatekeeper.evaluateWithoutBlocking(request, stack: name) {
        case .decided(let decided): outcome = decided
        case .needsBlocking(let pending): outcome = await runOnPool(pending, stack: name, gatekeeper: gatekeeper)
        }
        let elapsed = ContinuousClock.now - started
        log(outcome, request: request, elapsed: elapsed)
        observer?(outcome, gatekeeper, elapsed)
        deliver(outcome.observation)
        if !outcome.isAllowed, outcome.failDelay > .zero {
            try? await Task.sleep(for: outcome.failDelay)
        }
        return Decision(outcome: outcome, gatekeeper: gatekeeper)
    }

    /// Tells the stack's observing plugins how the decision ended (ABI 1.1), exactly once and
    /// without delaying the answer: on the pool when one of them blocks, else on a task of its own.
    private func deliver(_ observation: Observation?) {
        guard let observation else { return }
        if observation.blocks {
            pool.submit { observation.deliver() }
        } else {
            Task.detached { observation.deliver() }
        }
    }

    /// The pool run of a blocking stack, or `backend_unavailable` once `checkTimeout` has passed: a
    /// plugin that hangs holds its pool thread, never the request or the other stacks.
    private func runOnPool(_ pending: Gatekeeper.Pending, stack name: String, gatekeeper: Gatekeeper) async -> Outcome {
        let pool = self.pool
        let run: @Sendable () async -> Outcome = { await Self.run(pending, on: pool, stack: name, gatekeeper: gatekeeper) }
        if let outcome = await Deadline.race(checkTimeout, run) { return outcome }
        onCheckTimeout?(name)
        logger.warning("check timed out; the plugin call finishes in the background", metadata: [
            "stack": "\(LogText.escaped(name))", "check_timeout": "\(checkTimeout)", "pool_load": "\(pool.load)",
        ])
        return .hostFailure(.backendUnavailable, stack: name, note: "no answer within check_timeout (\(checkTimeout))",
                            policy: gatekeeper.configuration.responsePolicy)
    }

    private static func run(_ pending: Gatekeeper.Pending, on pool: BlockingPool, stack name: String, gatekeeper: Gatekeeper) async -> Outcome {
        do {
            return try await pool.run { gatekeeper.finish(pending) }
        } catch .full {
            return .hostFailure(.backendUnavailable, stack: name, note: "the blocking pool is full", policy: gatekeeper.configuration.responsePolicy)
        } catch {
            return .hostFailure(.pluginError, stack: name, note: "the blocking pool is stopped", policy: gatekeeper.configuration.responsePolicy)
        }
    }

    /// One line per decision. The credential appears only as its summary (kind, scheme, Basic
    /// user-id), the target only as its path: a query string may carry a token. Every value from
    /// the request is escaped and bounded (``LogText``): one decision, one line.
    private func log(_ outcome: Outcome, request: AuthRequest, elapsed: Duration) {
        guard logger.logLevel <= .info else { return }
        var metadata: Logger.Metadata = [
            "stack": "\(LogText.escaped(outcome.stack))",
            "decision": "\(outcome.decision.rawValue)",
            "status": "\(outcome.status)",
            "method": "\(LogText.escaped(request.method))",
            "path": "\(LogText.escaped(String(request.path.prefix { $0 != "?" })))",
            "client": "\(outcome.client.map { "\($0)" } ?? "unknown")",
            "peer": "\(request.peer.map { "\($0)" } ?? "unknown")",
            "credential": "\(outcome.credential)",
            "micros": "\(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)",
            "cached": "\(outcome.trace.contains { $0.cached })",
        ]
        if let reason = outcome.reason { metadata["reason"] = "\(reason.code)" }
        if let principal = outcome.principal { metadata["principal"] = "\(LogText.escaped(principal))" }
        if let note = outcome.note { metadata["note"] = "\(LogText.escaped(note))" }
        logger.info("decision", metadata: metadata)
    }
}
