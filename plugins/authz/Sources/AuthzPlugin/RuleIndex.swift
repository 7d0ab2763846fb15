/// Which rules can apply to a request at all, by its method and the first two segments of its
/// path, as bit sets over the rules (bit i: rule i), built once per rules file. A request then
/// visits only the rules its method and path could match, in order, instead of every rule: with
/// a thousand rules about a hundred areas, a decision tests a handful.
///
/// Only a necessary condition: a candidate still runs every condition. Each pattern is filed
/// under its leading literal segments, two at most (`/api/v1/**` under `api/v1`, `/api/*/x`
/// under `api`, `/**` and `/*x/…` under none); a rule is a candidate for a path when it has no
/// `paths`, or one of its patterns is filed under none, under the path's first segment, or under
/// its first two.
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
                if let segment = matcher.indexKey {
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

    /// Calls `body` with the candidates for `methods` and a path filed under `segments`
    /// (``segments(of:)``), in stack memory.
    func withCandidates<Result>(methods: MethodSet, segments: (first: String, two: String?), _ body: (UnsafeBufferPointer<UInt64>) -> Result) -> Result {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { candidates in
            let first = bySegment[segments.first]
            let two = segments.two.flatMap { bySegment[$0] }
            for word in 0..<words { candidates[word] = 0 }
            var bits = methods.bits
            while bits != 0 {
                let method = bits.trailingZeroBitCount
                bits &= bits - 1
                for word in 0..<words { candidates[word] |= byMethod[method][word] }
            }
            for word in 0..<words { candidates[word] &= anySegment[word] | (first?[word] ?? 0) | (two?[word] ?? 0) }
            return body(UnsafeBufferPointer(candidates))
        }
    }

    /// The keys of a normalized path: `/api/v1/x` → (`api`, `api/v1`), `/api` → (`api`, nil),
    /// `/` → (``, nil).
    static func segments(of path: String) -> (first: String, two: String?) {
        let rest = path.utf8.dropFirst()
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { return (String(decoding: rest, as: UTF8.self), nil) }
        let first = String(decoding: rest[..<slash], as: UTF8.self)
        let second = rest[rest.index(after: slash)...].prefix { $0 != UInt8(ascii: "/") }
        return (first, first + "/" + String(decoding: second, as: UTF8.self))
    }
}

extension PathMatcher {
    /// The key this pattern is filed under: its leading literal segments, two at most, joined by
    /// `/`; nil when even the first can be anything (`/**`, or a first segment with `*`). Where a
    /// pattern's second segment may match nothing (`/api/**` matches `/api`), only the first counts.
    var indexKey: String? {
        let text: String
        switch self {
        case .any: return nil
        case .exact(let bytes): text = String(decoding: bytes, as: UTF8.self)
        case .subtree(let bytes): text = String(decoding: bytes, as: UTF8.self)
        case .pattern(let pattern): text = pattern.text
        }
        let segments = text.dropFirst().split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard let first = segments.first, !first.contains("*") else { return nil }
        guard segments.count >= 2, !segments[1].contains("*") else { return String(first) }
        return first + "/" + segments[1]
    }
}
