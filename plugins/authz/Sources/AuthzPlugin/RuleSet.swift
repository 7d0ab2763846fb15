public import PortcullisNetwork
public import PortcullisPluginKit

/// The rules of one file, compiled, in order: the first rule that matches decides; shadow rules
/// that match are noted and skipped; no match denies. Immutable; replaced whole on reload.
public struct RuleSet: Sendable {
    public let file: String
    public let rules: [Rule]
    let methods: MethodTable

    init(file: String, rules: [Rule], methods: MethodTable) {
        self.file = file
        self.rules = rules
        self.methods = methods
    }

    /// What the rules look at in a request whose path has already been normalized.
    public func facts(method: String, path: RequestPath, host: String, client: IPAddress?, identity: Identity,
                      headIsGet: Bool) -> RequestFacts {
        RequestFacts(methods: methods.bits(of: method, headIsGet: headIsGet), path: path, host: host, client: client, identity: identity)
    }

    /// Runs the rules. With `explain`, also lists every rule tried and the condition it failed on
    /// (for the detail and `portcullis check`); without it, allocates nothing unless a shadow rule matches.
    public func evaluate(_ facts: RequestFacts, explain: Bool) -> Evaluation {
        var evaluation = Evaluation()
        if explain { evaluation.tried.reserveCapacity(rules.count) }
        for index in rules.indices {
            let rule = rules[index]
            if let failed = rule.firstFailure(facts) {
                if explain { evaluation.tried.append(.init(rule: index, failed: failed)) }
                if rule.effect == .allow, !rule.shadow, evaluation.nearestAllow?.failed.map({ failed > $0 }) ?? true {
                    evaluation.nearestAllow = .init(rule: index, failed: failed)
                }
                continue
            }
            if explain { evaluation.tried.append(.init(rule: index, failed: nil)) }
            if rule.shadow {
                evaluation.shadowMatches.append(index)
                continue
            }
            evaluation.decidingRule = index
            evaluation.allowed = rule.effect == .allow
            break
        }
        return evaluation
    }
}

/// How the rules decided one request, by rule index.
public struct Evaluation: Sendable, Equatable {
    public struct Step: Sendable, Equatable {
        public var rule: Int
        /// The condition that did not hold; nil: the rule matched.
        public var failed: Rule.Condition?
    }

    public var allowed = false
    /// The rule that decided; nil when none matched (a deny).
    public var decidingRule: Int?
    /// The allow rule (not shadow) that got furthest through its conditions before one failed,
    /// the first of equals: why the request was not allowed.
    public var nearestAllow: Step?
    public var shadowMatches: [Int] = []
    /// Every rule tried, in order (only when explaining).
    public var tried: [Step] = []
}
