import PortcullisPluginKit

#if canImport(Glibc)
import Glibc
#endif

/// Every rule's `paths`, laid out flat for the decision loop: trivial values and one byte pool,
/// so testing a rule's paths takes no reference count (the cost that dominates when many rules
/// share a prefix the ``RuleIndex`` cannot tell apart). The same answers as ``PathMatcher``.
struct FlatPaths: Sendable {
    private struct Item: Sendable {
        enum Kind: UInt8, Sendable { case any, exact, subtree, pattern }
        var kind: Kind
        /// The bytes in `pool` (exact, subtree) or the index in `patterns` (pattern).
        var start: Int32
        var count: Int32
    }

    private let items: [Item]
    private let pool: [UInt8]
    private let patterns: [PathPattern]
    /// Per rule, its items; nil: the rule names no paths.
    private let ranges: [Range<Int32>?]

    init(rules: [Rule]) {
        var items: [Item] = []
        var pool: [UInt8] = []
        var patterns: [PathPattern] = []
        ranges = rules.map { rule in
            guard let paths = rule.paths else { return nil }
            let start = Int32(items.count)
            for matcher in paths {
                switch matcher {
                case .any: items.append(Item(kind: .any, start: 0, count: 0))
                case .exact(let bytes), .subtree(let bytes):
                    items.append(Item(kind: matcher.isExact ? .exact : .subtree, start: Int32(pool.count), count: Int32(bytes.count)))
                    pool += bytes
                case .pattern(let pattern):
                    items.append(Item(kind: .pattern, start: Int32(patterns.count), count: 0))
                    patterns.append(pattern)
                }
            }
            return start..<Int32(items.count)
        }
        self.items = items
        self.pool = pool
        self.patterns = patterns
    }

    /// Whether rule `rule`'s paths fail for `path` (false when it names none).
    func fail(rule: Int, _ facts: RequestFacts, bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let range = ranges[rule] else { return false }
        return items.withUnsafeBufferPointer { items in
            pool.withUnsafeBufferPointer { pool in
                for index in range {
                    let item = items[Int(index)]
                    switch item.kind {
                    case .any: return false
                    case .exact:
                        if Int(item.count) == bytes.count, Self.prefix(pool, item, of: bytes) { return false }
                    case .subtree:
                        if Self.prefix(pool, item, of: bytes), bytes.count == Int(item.count) || bytes[Int(item.count)] == UInt8(ascii: "/") {
                            return false
                        }
                    case .pattern:
                        if patterns[Int(item.start)].matches(facts.path) { return false }
                    }
                }
                return true
            }
        }
    }

    private static func prefix(_ pool: UnsafeBufferPointer<UInt8>, _ item: Item, of bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = Int(item.count)
        guard bytes.count >= count else { return false }
        guard count > 0, let base = bytes.baseAddress, let start = pool.baseAddress else { return true }
        return memcmp(base, start + Int(item.start), count) == 0
    }
}

extension PathMatcher {
    var isExact: Bool { if case .exact = self { true } else { false } }
}
