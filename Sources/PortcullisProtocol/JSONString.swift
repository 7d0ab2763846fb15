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
    ///
    /// Works on the UTF-8 bytes and copies the runs between escapes whole: every byte that needs an
    /// escape is ASCII, so a run never splits a multi-byte character. (Appending scalar by scalar
    /// cost about seven times as much, and the JSON decision log writes twenty strings a line.)
    public static func write(_ text: String, to output: inout String) {
        output += "\""
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F else { continue }
                if start < index { output += String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self) }
                switch byte {
                case 0x22: output += "\\\""
                case 0x5C: output += "\\\\"
                case 0x0A: output += "\\n"
                case 0x0D: output += "\\r"
                case 0x09: output += "\\t"
                default:
                    let hex = String(byte, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
                start = index + 1
            }
            if start < bytes.count { output += String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self) }
        }
        output += "\""
    }
}
