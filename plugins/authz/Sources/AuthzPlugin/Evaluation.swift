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
