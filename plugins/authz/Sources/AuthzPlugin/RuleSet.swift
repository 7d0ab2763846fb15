public import PortcullisNetwork
public import PortcullisPluginKit

/// The rules of one file, compiled, in order: the first rule that matches decides; shadow rules
/// that match are noted and skipped; no match denies. Immutable; replaced whole on reload. A
/// class: taking the rules in force for a request is one reference, not a copy of every table.
public final class RuleSet: Sendable {
    public let file: String
    public let rules: [Rule]
    let methods: MethodTable
    /// Each rule's methods as bits (all bits: any method), apart from the rules so that the loop
    /// skips a rule for another method reading 8 bytes, without touching (or copying) the rule.
    private let methodMasks: [UInt64]
    /// Each rule's name as a JSON string literal, escaped once, for the detail.
    let jsonNames: [[UInt8]]
    /// Each rule's `{"rule":NAME`, the start of its entry in the detail's `tried`.
    let jsonSteps: [[UInt8]]
    private let index: RuleIndex
    private let paths: FlatPaths
    /// Which rules name `hosts` (tested before paths) without touching the rule.
    private let hasHosts: [Bool]
    /// What deciding needs of each rule, without a reference to it.
    private let kinds: [(effect: Rule.Effect, shadow: Bool)]

    init(file: String, rules: [Rule], methods: MethodTable) {
        self.file = file
        self.rules = rules
        self.methods = methods
        methodMasks = rules.map { $0.methods?.bits ?? .max }
        jsonNames = rules.map { Array(JSONString.quoted($0.name).utf8) }
        jsonSteps = jsonNames.map { Array("{\"rule\":".utf8) + $0 }
        index = RuleIndex(rules: rules)
        paths = FlatPaths(rules: rules)
        hasHosts = rules.map { $0.hosts != nil }
        kinds = rules.map { ($0.effect, $0.shadow) }
    }

    /// What the rules look at in a request whose path has already been normalized.
    public func facts(method: String, path: RequestPath, host: String, client: IPAddress?, identity: Identity,
                      headIsGet: Bool) -> RequestFacts {
        RequestFacts(methods: methods.bits(of: method, headIsGet: headIsGet), path: path, host: host, client: client, identity: identity)
    }

    /// Runs the rules: the first that matches decides. Only the rules ``RuleIndex`` says can apply
    /// to the method and first path segment are tested; with `explain`, every other rule is
    /// listed too, with the condition it fails on (methods, hosts or paths, found without
    /// testing the rest), for the detail and `portcullis check`. Without `explain`, the nearest
    /// allow is the nearest among the tested rules (the only ones that can fail on scopes, which
    /// is all the insufficient_scope challenge needs), and nothing is allocated unless a shadow
    /// rule matches.
    public func evaluate(_ facts: RequestFacts, explain: Bool) -> Evaluation {
        var evaluation = Evaluation()
        if explain { evaluation.tried.reserveCapacity(rules.count) }
        index.withCandidates(methods: facts.methods, segments: facts.segments) { candidates in
            facts.pathBytes.withUnsafeBufferPointer { path in
                rules.withUnsafeBufferPointer { rules in
                    methodMasks.withUnsafeBufferPointer { masks in
                        // One access to the captured result for the whole walk: inside, it is an
                        // inout parameter, checked statically rather than at every rule.
                        walk(&evaluation, facts: facts, path: path, rules: rules, masks: masks, candidates: candidates, explain: explain)
                    }
                }
            }
        }
        return evaluation
    }

    private func walk(
        _ evaluation: inout Evaluation, facts: RequestFacts, path: UnsafeBufferPointer<UInt8>, rules: UnsafeBufferPointer<Rule>,
        masks: UnsafeBufferPointer<UInt64>, candidates: UnsafeBufferPointer<UInt64>, explain: Bool
    ) {
        if explain {
            let requestMethods = facts.methods.bits
            for index in rules.indices {
                let failed: Rule.Condition?
                if candidates[index >> 6] & (1 << UInt64(index & 63)) != 0 {
                    failed = rules[index].firstFailure(facts, path: path)
                } else if masks[index] & requestMethods == 0 {
                    failed = .methods
                } else {
                    // Not a candidate, yet the method is allowed: the path cannot match.
                    failed = rules[index].failsHosts(facts) ? .hosts : .paths
                }
                if Self.decides(&evaluation, index, kinds[index], failed, explain: true) { return }
            }
            return
        }
        for word in candidates.indices {
            var bits = candidates[word]
            while bits != 0 {
                let index = word << 6 | bits.trailingZeroBitCount
                bits &= bits - 1
                // The methods hold (the index says so); hosts and paths from flat data, the rest from the rule.
                let failed: Rule.Condition?
                if hasHosts[index], rules[index].failsHosts(facts) {
                    failed = .hosts
                } else if paths.fail(rule: index, facts, bytes: path) {
                    failed = .paths
                } else {
                    failed = rules[index].firstFailureAfterPaths(facts)
                }
                if Self.decides(&evaluation, index, kinds[index], failed, explain: false) { return }
            }
        }
    }

    /// Notes rule `index`'s result; true when it decides.
    private static func decides(_ evaluation: inout Evaluation, _ index: Int, _ rule: (effect: Rule.Effect, shadow: Bool),
                                _ failed: Rule.Condition?, explain: Bool) -> Bool {
        if let failed {
            if explain { evaluation.tried.append(.init(rule: index, failed: failed)) }
            if evaluation.nearestAllow?.failed.map({ failed > $0 }) ?? true, rule.effect == .allow, !rule.shadow {
                evaluation.nearestAllow = .init(rule: index, failed: failed)
            }
            return false
        }
        if explain { evaluation.tried.append(.init(rule: index, failed: nil)) }
        if rule.shadow {
            evaluation.shadowMatches.append(index)
            return false
        }
        evaluation.decidingRule = index
        evaluation.allowed = rule.effect == .allow
        return true
    }
}
