internal import CPortcullisPlugin
import PortcullisNetwork
import PortcullisProtocol

/// A named, ordered list of plugin instances with their controls: one protected area.
package final class Stack: Sendable {
    package struct Entry: Sendable {
        let instance: PluginInstance
        package let control: Control
        /// `anonymous = true`: this entry's allow lets a request in without a principal (an
        /// address that needs no login). Without it, an allow needs a principal.
        package let anonymous: Bool
        package var plugin: PluginLibrary { instance.library }

        init(instance: PluginInstance, control: Control, anonymous: Bool = false) {
            self.instance = instance
            self.control = control
            self.anonymous = anonymous
        }
    }

    package let name: String
    package let entries: [Entry]
    /// The gatekeeper's verification cache; nil when disabled.
    let cache: VerificationCache?
    /// Each entry's part of its cache keys, `"stack#index"`, made once here rather than per request.
    private let cacheLabels: [String]

    init(name: String, entries: [Entry], cache: VerificationCache? = nil) {
        self.name = name
        self.entries = entries
        self.cache = cache
        cacheLabels = entries.indices.map { "\(name)#\($0)" }
        let observing = entries.filter(\.plugin.observes)
        observers = (!observing.isEmpty, observing.contains { $0.plugin.isBlocking })
    }

    /// Whether any entry may block: such stacks run off the event loop.
    package var isBlocking: Bool { entries.contains { $0.plugin.isBlocking } }

    /// Whether some entry's plugin observes decisions (ABI 1.1), and whether one of those blocks.
    let observers: (any: Bool, blocking: Bool)

    /// The answers a non-blocking attempt got before it reached a blocking entry it could not
    /// answer from the cache. The evaluation that follows on the pool starts from them, so no
    /// plugin is called twice for one request.
    struct Answered: Sendable {
        var answers: [(answer: PluginAnswer, cached: Bool, micros: Double)] = []
    }

    /// Runs the request through every entry the controls reach, then decides. `answered` holds
    /// the answers of a non-blocking attempt for the first entries.
    func evaluate(_ request: PreparedRequest, answered: Answered = Answered()) -> Outcome {
        run(request, cachedOnly: false, replay: answered).outcome
            ?? Outcome.hostFailure(.pluginError, stack: name, note: "the stack did not run")
    }

    /// Decides without blocking, or returns the work left as soon as a blocking entry would have
    /// to be called because its answer is not in the cache. Lets a way in answer cache hits on the
    /// event loop and send only real work to the blocking pool.
    func evaluateWithoutBlocking(_ request: PreparedRequest) -> Attempt {
        let (outcome, answered) = run(request, cachedOnly: true, replay: Answered())
        return outcome.map(Attempt.decided) ?? .needsBlocking(PendingDecision(stack: self, request: request, answered: answered))
    }

    private func run(_ request: PreparedRequest, cachedOnly: Bool, replay: Answered) -> (outcome: Outcome?, answered: Answered) {
        var answered = Answered()
        var dispatch = Dispatch()
        var incomplete = false
        var trace: [TraceStep] = []
        var challenges: [String] = []
        var failDelay = 0
        var retryAfter = 0
        var cacheTTL: Int? = nil
        var identity = IdentityLayout()
        var identityLaidOut = dispatch.identityRevision
        trace.reserveCapacity(entries.count)
        // Only an attempt that may stop before the end hands its answers on (``Answered``).
        if cachedOnly { answered.answers.reserveCapacity(entries.count) }

        request.withCRequest(stack: name) { cRequest in
            for (index, entry) in entries.enumerated() {
                // ABI 1.1: each entry sees the identity the allows before it established.
                if dispatch.identityRevision != identityLaidOut {
                    identity.lay(principal: dispatch.principal, attributes: dispatch.attributes, into: cRequest)
                    identityLaidOut = dispatch.identityRevision
                }
                let answer: PluginAnswer, cached: Bool, micros: Double
                if index < replay.answers.count {
                    (answer, cached, micros) = replay.answers[index]
                } else {
                    let started = MonotonicClock.nanoseconds()
                    guard let checked = check(entry, index: index, request, cRequest, cachedOnly: cachedOnly) else {
                        incomplete = true
                        break
                    }
                    micros = MonotonicClock.micros(since: started)
                    (answer, cached) = checked
                }
                if cachedOnly { answered.answers.append((answer, cached, micros)) }
                let result = StepResult(answer)
                let action = result.verdict.map(entry.control.action) ?? .bad

                if let challenge = answer.challenge, !challenges.contains(challenge) { challenges.append(challenge) }
                if result.verdict == .deny {
                    failDelay = max(failDelay, answer.failDelayMilliseconds)
                    retryAfter = max(retryAfter, answer.retryAfterSeconds)
                }
                if result.verdict == .allow, action == .ok || action == .done, let ttl = answer.cacheTTL {
                    cacheTTL = min(cacheTTL ?? ttl, ttl)
                }
                trace.append(TraceStep(
                    index: index, plugin: entry.plugin.name, control: entry.control,
                    answer: result.verdict.map(TraceStep.Answer.verdict) ?? .invalid(rawVerdict: answer.rawVerdict, rawReason: answer.rawReason),
                    reasonCode: result.failureReason, taken: action,
                    micros: micros,
                    challenge: answer.challenge, detail: answer.detail, cached: cached))
                if dispatch.apply(result, action: action, entry: index, anonymous: entry.anonymous) { break }
            }
        }

        if incomplete { return (nil, answered) }
        var (allowed, reason) = dispatch.decision
        var decidedBy = dispatch.statusEntry
        var note: String? = nil
        // PAM's answer, unless no entry's failure decided the deny, or PAM would allow without
        // knowing who it lets in (design note 3a: an allow needs a principal).
        if allowed ? !dispatch.identified : reason == nil {
            let (best, why) = Self.undecidedReason(request.credential, challenges: challenges, ignored: dispatch.ignoredFailures)
            note = (allowed ? "the controls allowed, but no entry established a principal and none marked anonymous = true allowed: "
                            : "no entry decided: ") + why
            (allowed, reason, decidedBy) = (false, best, nil)
        }
        let outcome = Outcome(
            decision: allowed ? .allow : .deny, reason: allowed ? nil : reason,
            principal: allowed ? dispatch.principal : nil, attributes: allowed ? dispatch.attributes : [],
            challenges: challenges, trace: trace, stack: name, client: request.client, clientSource: request.clientSource,
            credential: request.credential.summary, note: note, failDelay: .milliseconds(failDelay),
            cacheTTL: allowed ? cacheTTL : nil, decidedBy: decidedBy,
            retryAfter: !allowed && retryAfter > 0 ? .seconds(retryAfter) : nil)
        return (outcome, answered)
    }

    /// One entry's answer: from the cache when the plugin is cacheable and the answer is there,
    /// else from the plugin (and then kept, if the cache takes it).
    /// With `cachedOnly`, nil instead of calling a blocking plugin.
    private func check(_ entry: Entry, index: Int, _ request: PreparedRequest, _ cRequest: UnsafePointer<pc_request>,
                       cachedOnly: Bool) -> (PluginAnswer, cached: Bool)? {
        let mustNotCall = cachedOnly && entry.plugin.isBlocking
        guard let cache, entry.plugin.isCacheable else { return mustNotCall ? nil : (entry.instance.check(cRequest), false) }
        // The plugin's data generation (ABI 1.1) keys the answer: a reloaded file or rotated key
        // makes every answer cached before it unreachable at once.
        let key = cache.key(entry: cacheLabels[index], generation: entry.instance.generation(),
                            credential: request.credential, client: request.client)
        // A probe's miss is not counted: the real evaluation that follows counts it.
        if let answer = cache.lookup(key, countingMiss: !mustNotCall) { return (answer, true) }
        if mustNotCall { return nil }
        let answer = entry.instance.check(cRequest)
        cache.store(key, answer)
        return (answer, false)
    }

    /// Why a stack denies when no entry's failure decided it (nothing decided, or the controls
    /// allowed without a principal). Linux-PAM answers PAM_PERM_DENIED; we name the reason that
    /// helps the client most, from the failures the controls ignored and, when some entry offered
    /// a challenge, from the credential itself (none sent, malformed, another scheme). Of those,
    /// the best by ``ReasonCode/undecidedRank`` wins, the first of equals (docs/reasons.md):
    /// a reason about the credential that was sent, then `unsupported_scheme`, then
    /// `missing_credentials`, then the rest.
    static func undecidedReason(_ credential: Credential, challenges: [String], ignored: [ReasonCode]) -> (ReasonCode, String) {
        let implied: ReasonCode = switch credential.kind {
        case .none: .missingCredentials
        case .malformed: .malformedCredentials
        case .basic, .bearer, .other: .unsupportedScheme
        }
        var candidates = ignored
        if !challenges.isEmpty || candidates.isEmpty { candidates.append(implied) }
        let best = candidates.enumerated().min { ($0.element.undecidedRank, $0.offset) < ($1.element.undecidedRank, $1.offset) }?.element ?? implied
        if ignored.contains(best) { return (best, "reporting the failure that did not count and says most about the request (\(best.code))") }
        switch best {
        case .missingCredentials: return (best, "no credentials were sent")
        case .malformedCredentials: return (best, "the Authorization header is malformed")
        default: return (best, "no entry accepted \(credential.summary)")
        }
    }
}

extension ReasonCode {
    /// How well a reason explains a deny that no entry decided: lower is better.
    var undecidedRank: Int {
        switch self {
        case .invalidCredentials, .expiredCredentials, .revokedCredentials, .malformedCredentials, .accountExpired, .lockedOut: 0
        case .unsupportedScheme: 1
        case .missingCredentials: 2
        case .ipNotAllowed, .csrfFailed, .insufficientPermissions, .pluginError, .backendUnavailable: 3
        }
    }
}
