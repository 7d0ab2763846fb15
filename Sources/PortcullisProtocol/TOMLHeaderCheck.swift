/// Finds a TOML table header whose key does not start as a key can (`[[!x]]`, `[[[a]]]`, `[=`),
/// before the text reaches TOMLKit.
///
/// Why: the toml++ that TOMLKit vendors calls its key parser on such a header with a broken
/// precondition (`TOML_ASSERT_ASSUME` in `parse_key`): a debug build aborts, a release build has
/// undefined behaviour (toml++ fixed it upstream, marzer/tomlplusplus#301; found by
/// Tests/Fuzz/Targets/authz.swift). The host's configuration and the authz rules file both call
/// this first and report the line as a TOML syntax error.
///
/// A header is a `[` that starts a line outside strings, comments and values (a `[` at the start
/// of a line inside a multi-line array is a value, and is left alone).
public enum TOMLHeaderCheck {
    /// The 1-based line of the first such header, or nil when there is none.
    public static func badHeaderLine(in text: String) -> Int? {
        let bytes = Array(text.utf8)
        // toml++ skips a UTF-8 byte order mark, so the first line still starts after it.
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        var depth = 0  // open `[` and `{` of values
        var lineStart = true  // only spaces and tabs so far on this line
        func at(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }
        func starts(_ literal: String) -> Bool { bytes[index...].starts(with: literal.utf8) }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                lineStart = true
                index += 1
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
                continue
            case UInt8(ascii: "#"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                continue
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let multiLine = byte == UInt8(ascii: "\"") ? "\"\"\"" : "'''"
                if starts(multiLine) {
                    index += 3
                    while index < bytes.count, !starts(multiLine) {
                        if bytes[index] == UInt8(ascii: "\n") { line += 1 }
                        index += byte == UInt8(ascii: "\"") && bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                    }
                    index += 3
                } else {
                    index += 1
                    while index < bytes.count, bytes[index] != byte, bytes[index] != UInt8(ascii: "\n") {
                        index += byte == UInt8(ascii: "\"") && bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                    }
                    if index < bytes.count, bytes[index] == byte { index += 1 }
                }
            case UInt8(ascii: "[") where depth == 0 && lineStart:
                // A table header: `[` or `[[`, optional blanks, then a bare key character or a quote.
                index += at(1) == UInt8(ascii: "[") ? 2 : 1
                while let next = at(0), next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") { index += 1 }
                guard let first = at(0), isKeyStart(first) else { return line }
                // The rest of the header line is the key and its closing brackets.
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                continue
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                index += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
                index += 1
            default:
                index += 1
            }
            lineStart = false
        }
        return nil
    }

    /// A bare key character (A-Z a-z 0-9 _ -) or a string delimiter.
    private static func isKeyStart(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"):
            true
        default:
            false
        }
    }
}
