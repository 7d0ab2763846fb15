/// Which rules can apply to a request at all, by its method and the first segment of its path,
/// as bit sets over the rules (bit i: rule i), built once per rules file. A request then visits
/// only the rules its method and first segment could match, in order, instead of every rule:
/// with a thousand rules about a hundred areas, a decision tests a handful.
///
/// Only a necessary condition: a candidate still runs every condition. A rule is a candidate
/// for a first segment when it has no `paths`, or one of its patterns starts with that literal
/// segment, or with a wildcard (`/**`, `/*x/…`).
struct RuleIndex: Sendable {
    let words: Int
    /// Per method bit: the rules that allow it (naming it, or naming no methods).
    private let byMethod: [[UInt64]]
    private let bySegment: [String: [UInt64]]
    /// Rules without paths, or with a pattern whose first segment is a wildcard.
    private let anySegment: [UInt64]

    init(rules: [Rule]) {
        let words = max(1, (rules.count + 63) / 64)
        let zero = [UInt64](repeating: 0, count: words)
        var byMethod = [[UInt64]](repeating: zero, count: 64)
        var bySegment: [String: [UInt64]] = [:]
        var anySegment = zero
        for (index, rule) in rules.enumerated() {
            let (word, bit) = (index / 64, UInt64(1) << UInt64(index % 64))
            let methods = rule.methods?.bits ?? .max
            for method in 0..<64 where methods & (UInt64(1) << UInt64(method)) != 0 { byMethod[method][word] |= bit }
            guard let paths = rule.paths else {
                anySegment[word] |= bit
                continue
            }
            for matcher in paths {
                if let segment = matcher.firstSegment {
                    bySegment[segment, default: zero][word] |= bit
                } else {
                    anySegment[word] |= bit
                }
            }
        }
        self.words = words
        self.byMethod = byMethod
        self.bySegment = bySegment
        self.anySegment = anySegment
    }

    /// Calls `body` with the candidates for `methods` and a path whose first segment is
    /// `segment`, in stack memory (no allocation).
    func withCandidates<Result>(methods: MethodSet, segment: String, _ body: (UnsafeBufferPointer<UInt64>) -> Result) -> Result {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { candidates in
            let bySegment = self.bySegment[segment]
            for word in 0..<words { candidates[word] = 0 }
            var bits = methods.bits
            while bits != 0 {
                let method = bits.trailingZeroBitCount
                bits &= bits - 1
                for word in 0..<words { candidates[word] |= byMethod[method][word] }
            }
            for word in 0..<words { candidates[word] &= anySegment[word] | (bySegment?[word] ?? 0) }
            return body(UnsafeBufferPointer(candidates))
        }
    }

    /// The first segment of a normalized path: `/admin/x` → `admin`, `/` → ``.
    static func firstSegment(of path: some StringProtocol) -> String {
        String(decoding: path.utf8.dropFirst().prefix { $0 != UInt8(ascii: "/") }, as: UTF8.self)
    }
}

extension PathMatcher {
    /// The literal first segment every path this pattern matches starts with; nil when it can be
    /// any (`/**`, or a first segment with `*`).
    var firstSegment: String? {
        let text: String
        switch self {
        case .any: return nil
        case .exact(let bytes): text = String(decoding: bytes, as: UTF8.self)
        case .subtree(let bytes): text = String(decoding: bytes, as: UTF8.self)
        case .pattern(let pattern): text = pattern.text
        }
        let segment = text.dropFirst().prefix { $0 != "/" }
        return segment.contains("*") ? nil : String(segment)
    }
}
