public import Logging
public import Portcullis
public import ServiceLifecycle

/// How a request is decided, for every way in (the daemon, the middleware, `portcullis check`):
/// one gatekeeper snapshot per request, the non-blocking attempt on the caller's executor, the
/// rest of a blocking stack on the bounded pool within `checkTimeout`, one log line, the metrics
/// observer, the plugins' `observe`, and the fail delay before a deny is answered (a task sleep:
/// no thread is held).
///
/// A `Service`: add it to the application's services (or a `ServiceGroup`) so its pool threads
/// stop when the application does.
public final class DecisionRuntime: Service, Sendable {
    public let gatekeepers: ReloadableGatekeeper
    public let pool: BlockingPool
    /// How long a blocking stack's pool run (waiting for a thread included) may take before the
    /// request is answered `backend_unavailable`; the run itself finishes in the background.
    public let checkTimeout: Duration
    let delivery: ObservationDelivery
    let logger: Logger
    let observer: (@Sendable (Outcome, Gatekeeper, Duration) -> Void)?
    let onCheckTimeout: (@Sendable (_ stack: String) -> Void)?

    /// When the plugins that observe decisions are told.
    public enum ObservationDelivery: Sendable {
        /// An allow after the answer, off the request's path (on the pool for blocking observers);
        /// a deny before it is answered, so a lockout has counted the failure before the client
        /// can try again (answered first, a client that retries at once raced its own count).
        /// HTTP ways in.
        case afterAnswer
        /// Before `decide` returns: a one-shot command that exits afterwards (`portcullis check`).
        case beforeReturning
    }

    /// - Parameters:
    ///   - observer: called once per decision with the outcome, its gatekeeper and the time it took
    ///     (the daemon's metrics).
    ///   - onCheckTimeout: called for each check answered at its deadline (the daemon's metrics).
    public init(gatekeepers: ReloadableGatekeeper, pool: BlockingPool, checkTimeout: Duration = .seconds(5),
                delivery: ObservationDelivery = .afterAnswer, logger: Logger = Logger(label: "portcullis"),
                observer: (@Sendable (Outcome, Gatekeeper, Duration) -> Void)? = nil,
                onCheckTimeout: (@Sendable (_ stack: String) -> Void)? = nil) {
        self.gatekeepers = gatekeepers
        self.pool = pool
        self.checkTimeout = checkTimeout
        self.delivery = delivery
        self.logger = logger
        self.observer = observer
        self.onCheckTimeout = onCheckTimeout
    }

    /// A runtime for one fixed gatekeeper, with the pool its `[server]` settings ask for.
    public convenience init(gatekeeper: Gatekeeper, delivery: ObservationDelivery = .afterAnswer) {
        let settings = gatekeeper.configuration.server
        self.init(
            gatekeepers: ReloadableGatekeeper(gatekeeper), pool: BlockingPool(threads: settings.blockingThreads, queue: settings.blockingQueue),
            checkTimeout: settings.checkTimeout, delivery: delivery, logger: gatekeeper.logger)
    }

    /// A gatekeeper's decision, and the gatekeeper whose policy maps it to HTTP.
    public struct Decision: Sendable {
        public var outcome: Outcome
        public var gatekeeper: Gatekeeper
        /// This decision's id: in its log line and, as `X-Auth-Decision-Id`, in its answer.
        public var id: DecisionID
        /// The valid W3C `traceparent` the request carried, echoed in the answer.
        var trace: TraceParent?

        /// The gatekeeper's answer, plus `X-Auth-Decision-Id` (and `traceparent` when the request
        /// had a valid one) on allow and deny alike: nginx copies the id upstream with
        /// `auth_request_set`, and a client's complaint can be matched to the log line.
        public var response: AuthResponse {
            var response = gatekeeper.response(for: outcome)
            // An attribute named `decision_id` (a token claim) must not stand in for ours.
            response.headers.removeAll { $0.name.equalsIgnoringASCIICase("X-Auth-Decision-Id") || $0.name.equalsIgnoringASCIICase("traceparent") }
            response.headers.append(HTTPHeader("X-Auth-Decision-Id", id.description))
            if let trace { response.headers.append(HTTPHeader("traceparent", trace.header)) }
            return response
        }
    }

    /// Decides `request` with `gatekeeper` — the snapshot the caller took once for this request
    /// (proxy trust, stack lookup and decision all from one configuration); default: the one in
    /// service now.
    public func decide(_ request: AuthRequest, stack name: String, gatekeeper: Gatekeeper? = nil) async -> Decision {
        switch decideWithoutWaiting(request, stack: name, gatekeeper: gatekeeper ?? gatekeepers.current) {
        case .decided(let decision, let failDelay):
            if failDelay > .zero { try? await Task.sleep(for: failDelay) }
            return decision
        case .waiting(let rest):
            return await rest()
        }
    }

    /// A decision made on the caller's thread, or the part of it that has to wait.
    package enum Immediate: Sendable {
        /// Decided, logged and observed: answer it after `failDelay` (a deny's; zero otherwise).
        case decided(Decision, failDelay: Duration)
        /// The rest needs the blocking pool (or a blocking observer before returning): await it,
        /// fail delay included. Nothing already called is called again.
        case waiting(@Sendable () async -> Decision)
    }

    /// What ``decide(_:stack:gatekeeper:)`` does, without a suspension when none is needed: cache
    /// hits and non-blocking stacks are decided right here. The daemon's event loop answers those
    /// directly (the profile showed the per-request task and executor hops costing more than the
    /// decision itself) and only the rest waits.
    package func decideWithoutWaiting(_ request: AuthRequest, stack name: String, gatekeeper: Gatekeeper) -> Immediate {
        let started = ContinuousClock.now
        switch gatekeeper.evaluateWithoutBlocking(request, stack: name) {
        case .decided(let outcome):
            let decision = conclude(outcome, request: request, gatekeeper: gatekeeper, started: started)
            guard let observation = outcome.observation else { return .decided(decision, failDelay: Self.failDelay(of: outcome)) }
            guard observesFirst(outcome) else {
                deliverAfterAnswer(observation)
                return .decided(decision, failDelay: Self.failDelay(of: outcome))
            }
            guard observation.blocks else {
                observation.deliver()
                return .decided(decision, failDelay: Self.failDelay(of: outcome))
            }
            return .waiting { [self] in
                _ = try? await pool.run { observation.deliver() }
                return await Self.delayed(decision)
            }
        case .needsBlocking(let pending):
            return .waiting { [self] in
                let outcome = await runOnPool(pending, stack: name, gatekeeper: gatekeeper)
                let decision = conclude(outcome, request: request, gatekeeper: gatekeeper, started: started)
                await deliver(outcome)
                return await Self.delayed(decision)
            }
        }
    }

    /// The log line and the metrics observer, once per decision.
    private func conclude(_ outcome: Outcome, request: AuthRequest, gatekeeper: Gatekeeper, started: ContinuousClock.Instant) -> Decision {
        let elapsed = ContinuousClock.now - started
        let id = DecisionID.random()
        let trace = TraceParent(request.headers)
        DecisionLog.write(outcome, request: request, elapsed: elapsed, id: id, trace: trace, gatekeeper: gatekeeper, to: logger)
        observer?(outcome, gatekeeper, elapsed)
        return Decision(outcome: outcome, gatekeeper: gatekeeper, id: id, trace: trace)
    }

    /// A deny waits its fail delay before it is answered; an allow never waits.
    private static func failDelay(of outcome: Outcome) -> Duration {
        !outcome.isAllowed && outcome.failDelay > .zero ? outcome.failDelay : .zero
    }

    private static func delayed(_ decision: Decision) async -> Decision {
        let delay = failDelay(of: decision.outcome)
        if delay > .zero { try? await Task.sleep(for: delay) }
        return decision
    }

    /// Whether the observers hear of `outcome` before it is answered: always before returning,
    /// and a deny in every mode (``ObservationDelivery/afterAnswer``).
    private func observesFirst(_ outcome: Outcome) -> Bool {
        delivery == .beforeReturning || !outcome.isAllowed
    }

    /// Delivery that never waits: on the pool when an observer blocks, else on a task of its own.
    private func deliverAfterAnswer(_ observation: Observation) {
        if observation.blocks {
            pool.submit { observation.deliver() }
        } else {
            Task.detached { observation.deliver() }
        }
    }

    /// Tells the stack's observing plugins how the decision ended (ABI 1.1), exactly once: before
    /// the answer when ``observesFirst(_:)`` says so (on the pool when one of them blocks), else
    /// after it without delaying it.
    private func deliver(_ outcome: Outcome) async {
        guard let observation = outcome.observation else { return }
        switch (observesFirst(outcome), observation.blocks) {
        case (false, _): deliverAfterAnswer(observation)
        case (true, true): _ = try? await pool.run { observation.deliver() }
        case (true, false): observation.deliver()
        }
    }

    /// The pool run of a blocking stack, or `backend_unavailable` once `checkTimeout` has passed: a
    /// plugin that hangs holds its pool thread, never the request or the other stacks.
    private func runOnPool(_ pending: PendingDecision, stack name: String, gatekeeper: Gatekeeper) async -> Outcome {
        let pool = self.pool
        let run: @Sendable () async -> Outcome = { await Self.run(pending, on: pool, stack: name, gatekeeper: gatekeeper) }
        if let outcome = await Deadline.race(checkTimeout, run) { return outcome }
        onCheckTimeout?(name)
        logger.warning("check timed out; the plugin call finishes in the background", metadata: [
            "stack": "\(LogText.escaped(name))", "check_timeout": "\(checkTimeout)", "pool_load": "\(pool.load)",
        ])
        return gatekeeper.hostFailure(.backendUnavailable, stack: name, note: "no answer within check_timeout (\(checkTimeout))")
    }

    private static func run(_ pending: PendingDecision, on pool: BlockingPool, stack name: String, gatekeeper: Gatekeeper) async -> Outcome {
        do {
            return try await pool.run { gatekeeper.finish(pending) }
        } catch .full {
            return gatekeeper.hostFailure(.backendUnavailable, stack: name, note: "the blocking pool is full")
        } catch {
            return gatekeeper.hostFailure(.pluginError, stack: name, note: "the blocking pool is stopped")
        }
    }

    /// Runs until graceful shutdown, then stops the pool (in-flight checks finish first). The
    /// shared store's background sync (one store per process, kept across reloads) runs as long.
    public func run() async throws {
        let store = gatekeepers.current.store
        let sync = Task { await store.run() }
        defer { sync.cancel() }
        try await pool.run()
    }

    /// Stops the pool: for a runtime not run as a service (a one-shot command).
    public func shutdown() async {
        await pool.shutdown()
    }
}
