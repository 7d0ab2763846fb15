/// Text from a request (principal, user-id, path, method, plugin details, notes) made safe to
/// print on one line of a log or of `check`: control characters, line and paragraph separators
/// and bidirectional overrides are escaped (so a `sub` with a newline cannot forge a log line),
/// a backslash is doubled (so an escape cannot be faked), and anything longer than `limit` bytes
/// is cut, saying how long it was (so a 59 KB user-id costs 256 bytes of log).
package enum LogText {
    package static let limit = 256

    package static func escaped(_ value: String, limit: Int = LogText.limit) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            let piece = escaped(scalar)
            if result.utf8.count + piece.utf8.count > limit {
                return result + "…(truncated, \(value.utf8.count) bytes)"
            }
            result += piece
        }
        return result
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\u{00}"..."\u{1F}", "\u{7F}"..."\u{9F}", "\u{2028}", "\u{2029}", "\u{202A}"..."\u{202E}", "\u{2066}"..."\u{2069}":
            return "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
        default:
            return String(scalar)
        }
    }
}
