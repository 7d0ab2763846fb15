import PortcullisPluginKit

#if canImport(Glibc)
import Glibc
#endif

/// A rule's `paths` item: a ``PathPattern``, with the shapes rules use most tested as byte
/// comparisons (memcmp, no per-request allocation); anything else goes to the pattern itself.
/// Equivalent to `PathPattern.matches` by construction (tested against it).
enum PathMatcher: Sendable {
    /// `/**`: every path.
    case any
    /// No `*`: the normalized path must equal it.
    case exact([UInt8])
    /// `/admin/**`: `/admin` itself, or anything under `/admin/`.
    case subtree([UInt8])
    case pattern(PathPattern)

    init(_ pattern: PathPattern) {
        let text = pattern.text
        if text == "/**" {
            self = .any
        } else if !text.contains("*") {
            self = .exact(Array(text.utf8))
        } else if text.hasSuffix("/**"), !text.dropLast(3).contains("*") {
            self = .subtree(Array(text.dropLast(3).utf8))
        } else {
            self = .pattern(pattern)
        }
    }

    /// `bytes` are `path.text`'s UTF-8 bytes.
    func matches(_ path: RequestPath, bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        switch self {
        case .any: true
        case .exact(let text): bytes.count == text.count && Self.startsWith(bytes, text)
        case .subtree(let prefix):
            Self.startsWith(bytes, prefix) && (bytes.count == prefix.count || bytes[prefix.count] == UInt8(ascii: "/"))
        case .pattern(let pattern): pattern.matches(path)
        }
    }

    private static func startsWith(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: [UInt8]) -> Bool {
        guard bytes.count >= prefix.count else { return false }
        guard !prefix.isEmpty, let base = bytes.baseAddress else { return true }
        return prefix.withUnsafeBufferPointer { prefix in
            guard let start = prefix.baseAddress else { return true }
            return memcmp(base, start, prefix.count) == 0
        }
    }
}
