internal import CPortcullisPlugin
import PortcullisNetwork
import PortcullisProtocol

/// A named, ordered list of plugin instances with their controls: one protected area.
public final class Stack: Sendable {
    public struct Entry: Sendable {
        let instance: PluginInstance
        public let control: Control
        public var plugin: PluginLibrary { instance.library }
    }

    public let name: String
    public let entries: [Entry]
    /// The gatekeeper's verification cache; nil when disabled.
    let cache: VerificationCache?

    init(name: String, entries: [Entry], cache: VerificationCache? = nil) {
        self.name = name
        self.entries = entries
        self.cache = cache
    }

    /// Whether any entry may block: such stacks run off the event loop.
    public var isBlocking: Bool { entries.contains { $0.plugin.isBlocking } }

    /// The answers a non-blocking attempt got before it reached a blocking entry it could not
    /// answer from the cache. The evaluation that follows on the pool starts from them, so no
    /// plugin is called twice for one request.
    struct Answered: Sendable {
        var answers: [(answer: PluginAnswer, cached: Bool, elapsed: Duration)] = []
    }

    /// Runs the request through every entry the controls reach, then decides. `answered` holds
    /// the answers of a non-blocking attempt for the first entries.
    func evaluate(_ request: PreparedRequest, answered: Answered = Answered()) -> Outcome {
        run(request, cachedOnly: false, replay: answered).outcome
            ?? Outcome.hostFailure(.pluginError, stack: name, note: "the stack did not run", policy: ResponsePolicy())
    }

    /// Decides without blocking, or returns what it answered so far as soon as a blocking entry
    /// would have to be called because its answer is not in the cache. Lets a way in answer cache
    /// hits on the event loop and send only real work to the blocking pool.
    func evaluateWithoutBlocking(_ request: PreparedRequest) -> Attempt {
        let (outcome, answered) = run(request, cachedOnly: true, replay: Answered())
        return outcome.map(Attempt.decided) ?? .needsBlocking(answered)
    }

    enum Attempt: Sendable {
        case decided(Outcome)
        case needsBlocking(Answered)
    }

    private func run(_ request: PreparedRequest, cachedOnly: Bool, replay: Answered) -> (outcome: Outcome?, answered: Answered) {
        var answered = Answered()
        var dispatch = Dispatch()
        var incomplete = false
        var trace: [TraceStep] = []
        var challenges: [String] = []
        var failDelay = 0
        var cacheTTL: Int? = nil

        request.withCRequest(stack: name) { cRequest in
            for (index, entry) in entries.enumerated() {
                let answer: PluginAnswer, cached: Bool, elapsed: Duration
                if index < replay.answers.count {
                    (answer, cached, elapsed) = replay.answers[index]
                } else {
                    let started = ContinuousClock.now
                    guard let checked = check(entry, index: index, request, cRequest, cachedOnly: cachedOnly) else {
                        incomplete = true
                        break
                    }
                    (answer, cached, elapsed) = (checked.0, checked.cached, ContinuousClock.now - started)
                }
                answered.answers.append((answer, cached, elapsed))
                let result = StepResult(answer)
                let action = result.verdict.map(entry.control.action) ?? .bad

                if let challenge = answer.challenge, !challenges.contains(challenge) { challenges.append(challenge) }
                if result.verdict == .deny { failDelay = max(failDelay, answer.failDelayMilliseconds) }
                if result.verdict == .allow, action == .ok || action == .done, let ttl = answer.cacheTTL {
                    cacheTTL = min(cacheTTL ?? ttl, ttl)
                }
                trace.append(TraceStep(
                    index: index, plugin: entry.plugin.name, control: entry.control.description,
                    verdict: result.verdict?.name ?? Self.invalidLabel(answer), reason: result.failureReason?.code,
                    action: action.rawValue, micros: Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6,
                    challenge: answer.challenge, detail: answer.detail, cached: cached))
                if dispatch.apply(result, action: action) { break }
            }
        }

        if incomplete { return (nil, answered) }
        let (allowed, decidedReason) = dispatch.decision
        var note: String? = nil
        var reason = decidedReason
        if !allowed, reason == nil {
            (reason, note) = Self.undecidedReason(request.credential, challenges: challenges, ignored: dispatch.ignoredFailures)
        }
        let outcome = Outcome(
            decision: allowed ? .allow : .deny, reason: allowed ? nil : reason, status: allowed ? 200 : 401,
            principal: allowed ? dispatch.principal : nil, attributes: allowed ? dispatch.attributes : [],
            challenges: challenges, trace: trace, stack: name, client: request.client, clientSource: request.clientSource,
            credential: request.credential.summary, note: note, failDelay: .milliseconds(failDelay),
            cacheTTL: allowed ? cacheTTL : nil)
        return (outcome, answered)
    }

    /// One entry's answer: from the cache when the plugin is cacheable and the answer is there,
    /// else from the plugin (and then kept, if the cache takes it).
    /// With `cachedOnly`, nil instead of calling a blocking plugin.
    private func check(_ entry: Entry, index: Int, _ request: PreparedRequest, _ cRequest: UnsafePointer<pc_request>,
                       cachedOnly: Bool) -> (PluginAnswer, cached: Bool)? {
        let mustNotCall = cachedOnly && entry.plugin.isBlocking
        guard let cache, entry.plugin.isCacheable else { return mustNotCall ? nil : (entry.instance.check(cRequest), false) }
        let key = cache.key(entry: "\(name)#\(index)", credential: request.credential, client: request.client)
        // A probe's miss is not counted: the real evaluation that follows counts it.
        if let answer = cache.lookup(key, countingMiss: !mustNotCall) { return (answer, true) }
        if mustNotCall { return nil }
        let answer = entry.instance.check(cRequest)
        cache.store(key, answer)
        return (answer, false)
    }

    /// How the trace shows an answer outside the ABI's lists.
    static func invalidLabel(_ answer: PluginAnswer) -> String {
        Verdict(abi: answer.rawVerdict) == nil ? "invalid(\(answer.rawVerdict))" : "invalid(reason \(answer.rawReason))"
    }

    /// A stack that ends with no positive result denies (Linux-PAM answers PAM_PERM_DENIED).
    /// We say why in the closest reason the request supports, preferring "credentials could help":
    /// 1. a malformed / missing credential, when some entry offered a challenge;
    /// 2. the first failure a control ignored whose reason credentials could fix;
    /// 3. the first failure a control ignored;
    /// 4. a credential nobody consumed (`unsupported_scheme`), or none at all (`missing_credentials`).
    static func undecidedReason(_ credential: Credential, challenges: [String], ignored: [ReasonCode]) -> (ReasonCode, String) {
        let prefix = "no entry decided: "
        if !challenges.isEmpty, credential.kind == .malformed {
            return (.malformedCredentials, prefix + "the Authorization header is malformed")
        }
        if !challenges.isEmpty, credential.kind == .none {
            return (.missingCredentials, prefix + "no credentials were sent")
        }
        if let reason = ignored.first(where: \.credentialsCouldHelp) ?? ignored.first {
            return (reason, prefix + "reporting the first failure that did not count (\(reason.code))")
        }
        switch credential.kind {
        case .none: return (.missingCredentials, prefix + "no credentials were sent and no entry offered a challenge")
        case .malformed: return (.malformedCredentials, prefix + "the Authorization header is malformed")
        default: break
        }
        return (.unsupportedScheme, prefix + "no entry accepted \(credential.summary)")
    }
}
