/// Finds where a key was written, so semantic errors can name a line. TOMLKit reports lines for
/// syntax errors only; this scans the text for the table header and the `key =` line under it.
struct SourceLines {
    private let lines: [Substring]

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The line of `key` inside table `table` (`"proxy"`, or `"stack.default"` with `occurrence`
    /// for the nth `[[stack.default]]`), or of the table header when `key` is nil.
    func line(table: String?, occurrence: Int = 0, key: String?) -> Int? {
        var start = 0
        var end = lines.count
        if let table {
            let headers = lines.indices.filter { header(of: lines[$0]) == table }
            guard occurrence < headers.count else { return nil }
            start = headers[occurrence]
            if key == nil { return start + 1 }
            start += 1
            end = lines[start...].firstIndex { header(of: $0) != nil } ?? lines.count
        } else {
            end = lines.firstIndex { header(of: $0) != nil } ?? lines.count
        }
        guard let key else { return nil }
        return lines[start..<end].firstIndex { keyName(of: $0) == key }.map { $0 + 1 }
    }

    /// `[name]` or `[[name]]` with spaces removed, else nil.
    private func header(of line: Substring) -> String? {
        let text = line.trimmingWhitespace()
        guard text.hasPrefix("[") else { return nil }
        let name = text.prefix { $0 != "#" }.trimmingWhitespace().filter { $0 != "[" && $0 != "]" && $0 != " " && $0 != "\"" }
        return name
    }

    private func keyName(of line: Substring) -> String? {
        let text = line.trimmingWhitespace()
        guard let equals = text.firstIndex(of: "="), !text.hasPrefix("#") else { return nil }
        return String(text[..<equals].trimmingWhitespace().filter { $0 != "\"" && $0 != "'" })
    }
}

extension StringProtocol {
    /// Without optional whitespace (spaces and tabs) at either end.
    func trimmingWhitespace() -> Substring {
        let isWhitespace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let text = self[...]
        guard let first = text.firstIndex(where: { !isWhitespace($0) }), let last = text.lastIndex(where: { !isWhitespace($0) }) else {
            return Substring()
        }
        return Substring(text[first...last])
    }
}
