import PortcullisNetwork
import PortcullisPluginKit
import TOMLKit

/// Parses a rules file (TOML, `[[rule]]` tables) into a ``RuleSet``. Strict: an unknown key, a
/// value of the wrong type, an empty list or a list item that could never match is an error
/// naming file, line and key, because a rule that silently matches nothing can let a request
/// past the deny it was meant to be.
public enum RuleFile {
    static let keys = ["name", "effect", "shadow", "methods", "paths", "hosts", "networks", "networks_not",
                       "users", "groups", "scopes", "claims"]
    static let maximumNameLength = 128

    public static func parse(_ text: String, file: String) throws(RuleFileError) -> RuleSet {
        let lines = RuleLines(text)
        if let line = TOMLHeaderCheck.badHeaderLine(in: text) {
            throw RuleFileError(file: file, line: line, key: "", message: "TOML syntax: a table header's key must start with a letter, digit, '_', '-' or a quote")
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw RuleFileError(file: file, line: error.source.begin.line, key: "", message: "TOML syntax: \(error.description)")
        } catch {
            throw RuleFileError(file: file, line: nil, key: "", message: "TOML syntax: \(error)")
        }
        for key in root.keys where key != "rule" {
            throw RuleFileError(file: file, line: lines.line(rule: nil, key: key) ?? lines.line(rule: 0, key: nil), key: key,
                                message: "unknown key (a rules file holds only [[rule]] tables)")
        }
        guard let array = root["rule"]?.array, !array.isEmpty else {
            throw RuleFileError(file: file, line: lines.line(rule: nil, key: "rule"), key: "rule",
                                message: "no rules: write at least one [[rule]] (a rules file with none would deny everything)")
        }
        var methods = MethodTable()
        var rules: [Rule] = []
        var names: [String: Int] = [:]
        for (index, item) in array.enumerated() {
            var parser = RuleParser(file: file, lines: lines, index: index, methods: methods)
            guard let table = item.table else { throw parser.fail(nil, "each rule must be a table: [[rule]]") }
            let rule = try parser.rule(table)
            if let first = names[rule.name] {
                throw parser.fail("name", "'\(rule.name)' is already the name of rule \(first + 1): names must be unique (logs and metrics use them)")
            }
            names[rule.name] = index
            methods = parser.methods
            rules.append(rule)
        }
        return RuleSet(file: file, rules: rules, methods: methods)
    }
}

/// Parses one `[[rule]]` table.
private struct RuleParser {
    let file: String
    let lines: RuleLines
    let index: Int
    var methods: MethodTable

    init(file: String, lines: RuleLines, index: Int, methods: MethodTable) {
        self.file = file
        self.lines = lines
        self.index = index
        self.methods = methods
    }

    func fail(_ key: String?, _ message: String) -> RuleFileError {
        RuleFileError(file: file, line: lines.line(rule: index, key: key) ?? lines.line(rule: index, key: nil),
                      key: "rule[\(index + 1)]" + (key.map { ".\($0)" } ?? ""), message: message)
    }

    mutating func rule(_ table: TOMLTable) throws(RuleFileError) -> Rule {
        for key in table.keys where !RuleFile.keys.contains(key) {
            throw fail(key, "unknown key (expected one of: \(RuleFile.keys.joined(separator: ", ")))")
        }
        guard let name = table["name"]?.string else { throw fail(table["name"] == nil ? nil : "name", "every rule needs a name = \"…\" (a string)") }
        guard !name.isEmpty, name.count <= RuleFile.maximumNameLength, !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw fail("name", "must be 1 to \(RuleFile.maximumNameLength) characters without control characters")
        }
        var effect = Rule.Effect.allow
        if let value = table["effect"] {
            guard let text = value.string, let parsed = Rule.Effect(rawValue: text) else { throw fail("effect", "must be \"allow\" or \"deny\"") }
            effect = parsed
        }
        var shadow = false
        if let value = table["shadow"] {
            guard value.type == .bool, let flag = value.bool else { throw fail("shadow", "must be true or false") }
            shadow = flag
        }

        var methodSet: MethodSet? = nil
        if let items = try strings(table, "methods") {
            var bits: UInt64 = 0
            for method in items {
                guard MethodTable.isValid(method) else {
                    throw fail("methods", "'\(method)' is not a method as requests send it (upper-case, e.g. \"GET\"; methods are case-sensitive)")
                }
                guard let bit = methods.bit(adding: method) else { throw fail("methods", "more than \(MethodTable.maximumCount) distinct methods in one file") }
                bits |= bit.bits
            }
            methodSet = MethodSet(bits: bits)
        }
        let paths = try strings(table, "paths")?.map { (text: String) throws(RuleFileError) -> PathMatcher in
            do { return PathMatcher(try PathPattern(text)) } catch { throw fail("paths", "\(error)") }
        }
        let hosts = try strings(table, "hosts")?.map { (text: String) throws(RuleFileError) -> HostPattern in
            guard let pattern = HostPattern(text) else {
                throw fail("hosts", "'\(text)' is not a host name or *.domain (no port, no scheme)")
            }
            return pattern
        }
        let networks = try prefixes(table, "networks")
        let networksNot = try prefixes(table, "networks_not")
        let users = try strings(table, "users")
        let groups = try strings(table, "groups", items: "group names")
        let scopes = try strings(table, "scopes")
        for scope in scopes ?? [] where !Self.isScopeToken(scope) {
            throw fail("scopes", "'\(scope)' is not a scope token (RFC 6749 §3.3: printable ASCII without space, '\"', '\\'; and no ',')")
        }
        let claims = try claims(table)
        return Rule(
            name: name, effect: effect, shadow: shadow, line: lines.line(rule: index, key: nil) ?? 0,
            methods: methodSet, hosts: hosts, paths: paths, networks: networks, networksNot: networksNot,
            users: users, groups: groups, claims: claims, scopes: scopes)
    }

    /// A non-empty array of non-empty strings; nil when the key is absent. `items` names them in
    /// messages when they are attribute items, which cannot hold a comma (docs/plugin-abi.md).
    private func strings(_ table: TOMLTable, _ key: String, items: String? = nil) throws(RuleFileError) -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw fail(key, "must be an array of strings, e.g. \(key) = [\"…\"]") }
        guard !array.isEmpty else {
            throw fail(key, "is empty, so the rule could never match; remove the key to not test it")
        }
        var result: [String] = []
        for item in array {
            guard let text = item.string, !text.isEmpty else { throw fail(key, "must contain non-empty strings") }
            if let items, text.contains(",") { throw fail(key, "'\(text)': \(items) cannot contain ',' (attributes separate items with commas)") }
            if !result.contains(text) { result.append(text) }
        }
        return result
    }

    private func prefixes(_ table: TOMLTable, _ key: String) throws(RuleFileError) -> [IPPrefix]? {
        try strings(table, key)?.map { (text: String) throws(RuleFileError) -> IPPrefix in
            do { return try IPPrefix(parsing: text) } catch { throw fail(key, "\(error)") }
        }
    }

    /// `claims = { role = "ops", team = ["a", "b"] }`: each attribute must carry one of its values.
    private func claims(_ table: TOMLTable) throws(RuleFileError) -> [(name: String, values: [String])]? {
        guard let value = table["claims"] else { return nil }
        guard let claims = value.table else { throw fail("claims", "must be a table of attribute = value, e.g. claims = { role = \"ops\" }") }
        guard !claims.keys.isEmpty else { throw fail("claims", "is empty, so it tests nothing; remove it") }
        var result: [(name: String, values: [String])] = []
        for name in claims.keys {
            guard let item = claims[name] else { continue }
            var values: [String] = []
            if let text = item.string {
                values = [text]
            } else if let array = item.array, !array.isEmpty {
                for element in array {
                    guard let text = element.string else { throw fail("claims", "'\(name)' must be a string or an array of strings") }
                    values.append(text)
                }
            } else {
                throw fail("claims", "'\(name)' must be a string or a non-empty array of strings")
            }
            for text in values where text.isEmpty || text.contains(",") {
                throw fail("claims", "'\(name)': values must be non-empty and cannot contain ',' (attributes separate items with commas)")
            }
            result.append((name, values))
        }
        return result
    }

    /// RFC 6749 §3.3 scope-token (%x21 / %x23-5B / %x5D-7E), without ',' (the attribute separator).
    static func isScopeToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) } && !text.contains(",")
    }
}
