import PortcullisPluginKit

/// Apache's mod_authz_groupfile format (`AuthGroupFile`): one group per line, `name: user user…`,
/// users separated by spaces or tabs, `#` comments; a group may take several lines (they add up).
/// Gives each user the `groups` attribute, the groups in file order joined by ',' (the attribute
/// convention of docs/plugin-abi.md, which pam follows too).
///
/// Stricter than Apache, which skips what it cannot read: any malformed line is an error naming
/// file and line, so a file that lost a line never quietly drops a user from a group a deny rule
/// is written for; on reload the previous table stays in force.
struct GroupFile: Sendable {
    /// Groups by user (the user-id's bytes, compared as the password file compares them).
    let groups: [[UInt8]: [String]]
    let groupCount: Int

    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    init(path: String, contents: [UInt8]) throws(LoadError) {
        var groups: [[UInt8]: [String]] = [:]
        var names: Set<String> = []
        for (index, rawLine) in contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            func fail(_ why: String) -> LoadError { LoadError(description: "\(path):\(index + 1): \(why)") }
            var line = rawLine[...]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let content = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            if content.isEmpty || content.first == UInt8(ascii: "#") { continue }
            guard let colon = content.firstIndex(of: UInt8(ascii: ":")) else { throw fail("expected 'group: user user …'") }
            let nameBytes = content[..<colon].reversed().drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }.reversed()
            guard let name = String(validating: nameBytes, as: UTF8.self), Self.isGroupName(name) else {
                throw fail("the group name is empty, not UTF-8, or has a space, a control character or ','")
            }
            names.insert(name)
            let users = content[content.index(after: colon)...].split { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            for user in users {
                guard !user.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { throw fail("a user name has a control character") }
                let key = Array(user)
                if groups[key]?.contains(name) != true { groups[key, default: []].append(name) }
            }
        }
        self.groups = groups
        groupCount = names.count
    }

    /// The `groups` attribute of `user`, or none when the user is in no group.
    func attributes(of user: [UInt8]) -> [Attribute] {
        guard let names = groups[user], !names.isEmpty else { return [] }
        return [Attribute("groups", names.joined(separator: ","))]
    }

    private static func isGroupName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7F || $0 == "," }
    }
}

extension WatchedFile where Value == GroupFile {
    /// Loads the group file; reloads it like the password file, keeping the previous groups when
    /// a new version does not load.
    convenience init(groupsPath path: String, checkInterval: Duration, log: @escaping PasswordTable.Log) throws {
        try self.init(path: path, interval: checkInterval, report: { change in
            switch change {
            case .reloaded(let file): log(.info, "\(path): loaded \(file.groupCount) groups")
            case .failed(let error, let kept): log(.error, "\(error); keeping the previous groups (\(kept.groupCount))")
            case .unchanged, .changing: break
            }
        }) { snapshot in try GroupFile(path: snapshot.path, contents: snapshot.bytes) }
        log(.info, "\(path): loaded \(value.groupCount) groups")
    }
}
