import PortcullisPluginKit

/// A rule's `paths` item: a ``PathPattern``, with the shapes rules use most tested as plain
/// string comparisons (no per-request allocation); anything else goes to the pattern itself.
/// Equivalent to `PathPattern.matches` by construction (tested against it).
enum PathMatcher: Sendable {
    /// `/**`: every path.
    case any
    /// No `*`: the normalized path must equal it.
    case exact(String)
    /// `/admin/**`: `/admin` itself, or anything under `/admin/`.
    case subtree(String)
    case pattern(PathPattern)

    init(_ pattern: PathPattern) {
        let text = pattern.text
        if text == "/**" {
            self = .any
        } else if !text.contains("*") {
            self = .exact(text)
        } else if text.hasSuffix("/**"), !text.dropLast(3).contains("*") {
            self = .subtree(String(text.dropLast(3)))
        } else {
            self = .pattern(pattern)
        }
    }

    func matches(_ path: RequestPath) -> Bool {
        switch self {
        case .any: true
        case .exact(let text): path.text.utf8.elementsEqual(text.utf8)
        case .subtree(let prefix): Self.isInside(path.text, prefix)
        case .pattern(let pattern): pattern.matches(path)
        }
    }

    private static func isInside(_ path: String, _ prefix: String) -> Bool {
        guard path.utf8.starts(with: prefix.utf8) else { return false }
        let rest = path.utf8.dropFirst(prefix.utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "/")
    }
}
