/// Writes a JSON string literal (RFC 8259 §7): the one escaper for the host's problem bodies and
/// `check --json`, and for the tokens the hmac plugin mints.
///
/// `"` and `\` are escaped, `\n`, `\r` and `\t` by name, every other control character
/// (U+0000…U+001F) as `\u00XX`. DEL (U+007F) is escaped too: RFC 8259 does not require it,
/// but it is a control character that a terminal or a log viewer may act on, and `\u007f`
/// reads back as the same string. Everything else, non-ASCII included, is written as it is.
public enum JSONString {
    /// `text` as a JSON string literal, quotes included.
    public static func quoted(_ text: String) -> String {
        var output = ""
        write(text, to: &output)
        return output
    }

    /// Appends `text` as a JSON string literal, quotes included, to `output`.
    public static func write(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
