/// Finds the line of a key in a rules file: TOMLKit reports lines for syntax errors only.
/// Scans for the nth `[[rule]]` header and the `key =` line under it. The host's own
/// configuration has the same helper (Sources/Portcullis/Config/SourceLines.swift), but a
/// plugin links no host code.
struct RuleLines {
    private let lines: [Substring]
    /// Indices of every table header, and of the `[[rule]]` ones, found once (a file of a
    /// thousand rules asks for a thousand lines).
    private let headers: [Int]
    private let rules: [Int]

    init(_ text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let names = lines.map(Self.header(of:))
        self.lines = lines
        headers = names.indices.filter { names[$0] != nil }
        rules = names.indices.filter { names[$0] == "rule" }
    }

    /// The line of the `occurrence`th `[[rule]]` header (key nil) or of `key` inside it;
    /// for a top-level key, pass occurrence nil.
    func line(rule occurrence: Int?, key: String?) -> Int? {
        guard let occurrence else {
            let end = headers.first ?? lines.count
            return lines[..<end].firstIndex { Self.key(of: $0) == key }.map { $0 + 1 }
        }
        guard occurrence < rules.count else { return nil }
        let start = rules[occurrence]
        guard let key else { return start + 1 }
        let end = headers.first { $0 > start } ?? lines.count
        return lines[(start + 1)..<end].firstIndex { Self.key(of: $0) == key }.map { $0 + 1 }
    }

    private static func header(of line: Substring) -> String? {
        let text = line.drop { $0 == " " || $0 == "\t" }
        guard text.hasPrefix("[") else { return nil }
        return String(text.prefix { $0 != "#" }.filter { $0 != "[" && $0 != "]" && $0 != " " && $0 != "\t" && $0 != "\"" })
    }

    private static func key(of line: Substring) -> String? {
        let text = line.drop { $0 == " " || $0 == "\t" }
        guard !text.hasPrefix("#"), let equals = text.firstIndex(of: "=") else { return nil }
        return String(text[..<equals].filter { $0 != " " && $0 != "\t" && $0 != "\"" && $0 != "'" })
    }
}
