public import PortcullisPluginKit

/// Reads list entries: one address or CIDR prefix per line, `#` starts a comment, blank
/// lines are skipped. Host bits set (`10.0.0.1/8`) are an error, never silently masked.
public enum ListParser {
    /// Parses one entry as written in a TOML array (no comments there).
    public static func entry(_ text: String, source: String, line: Int) throws(ListError) -> IPPrefix {
        do {
            return try IPPrefix(parsing: text.trimmingASCIIWhitespace())
        } catch {
            throw ListError(source: source, line: line, message: error.description)
        }
    }

    /// Parses a whole file's bytes, adding every entry to `builder` as `action`.
    /// Works on bytes and creates a string only per entry: files run to a million lines.
    public static func parse(
        _ bytes: [UInt8], source: String, action: ListAction, into builder: inout IPList.Builder
    ) throws(ListError) {
        var lineNumber = 0
        var lineStart = 0
        while lineStart < bytes.count {
            lineNumber += 1
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            defer { lineStart = lineEnd + 1 }
            let content = bytes[lineStart..<lineEnd].prefix { $0 != UInt8(ascii: "#") }
            guard let first = content.firstIndex(where: { !isSpace($0) }),
                let last = content.lastIndex(where: { !isSpace($0) })
            else { continue }
            let field = content[first...last]
            guard let text = String(validating: field, as: UTF8.self) else {
                throw ListError(source: source, line: lineNumber, message: "not valid UTF-8")
            }
            if field.contains(where: isSpace) {
                throw ListError(source: source, line: lineNumber, message: "'\(text)': one address or prefix per line")
            }
            do {
                builder.add(try IPPrefix(parsing: text), action)
            } catch {
                throw ListError(source: source, line: lineNumber, message: error.description)
            }
        }
    }
}

private func isSpace(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { !isSpace($0) && $0 != UInt8(ascii: "\n") }),
            let last = bytes.lastIndex(where: { !isSpace($0) && $0 != UInt8(ascii: "\n") })
        else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
