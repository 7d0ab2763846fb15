@testable import CryptPlugin
import PortcullisPluginKit

// The htpasswd and shadow(5) readers and the group file: plugins/crypt/Sources/CryptPlugin/
// {PasswordFile,StoredHash,GroupFile}.swift. The dummy hash a load makes (one hash at the
// file's cost) is left out: `PasswordFile.read` is everything before it.
//
// Input: a mode byte (format: detect, htpasswd, shadow; plaintext allowed; or a group file), then the file.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count >= 1 else { return 0 }
    let mode = start.load(as: UInt8.self)
    let contents = bytes(start + 1, count - 1)
    if mode % 7 == 6 {
        checkGroups(contents)
    } else {
        let formats: [PasswordFile.Format?] = [nil, .htpasswd, .shadow]
        checkPasswords(contents, format: formats[Int(mode % 7) % 3], allowPlaintext: mode % 7 >= 3)
    }
    return 0
}

func stored(_ hash: StoredHash) -> [UInt8] {
    switch hash {
    case .locked: Array("!".utf8)
    case .crypt(let bytes), .apacheMD5(let bytes), .apacheSHA1(let bytes), .plaintext(let bytes): bytes
    }
}

func field(_ days: Int?) -> String { days.map(String.init) ?? "" }

func checkPasswords(_ contents: [UInt8], format: PasswordFile.Format?, allowPlaintext: Bool) {
    let file = PasswordFile.read(path: "fuzz", contents: contents, format: format, allowPlaintext: allowPlaintext)
    let lines = contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    require(file.entries.count + file.problems.count <= lines.count, "more entries and problems than lines")
    if let format { require(file.format == format, "the format given was not used") }
    for problem in file.problems {
        require(problem.hasPrefix("fuzz:"), "a problem does not name the file")
    }
    for (user, entry) in file.entries {
        require(!user.isEmpty && !user.contains(UInt8(ascii: ":")) && !user.contains(UInt8(ascii: "\n")), "impossible user name")
        require(Array(entry.principal.utf8) == user, "the principal is not the user-id")
        require(lines.contains { $0.starts(with: user + [UInt8(ascii: ":")]) }, "a user that no line starts with")
        if case .plaintext = entry.hash { require(allowPlaintext, "a plaintext password without allow_plaintext") }
        require((entry.aging != nil) == (file.format == .shadow), "aging fields outside a shadow file, or missing in one")
    }
    // The table round-trips: written back in its format, it reads as the same table, without problems.
    var written: [UInt8] = []
    for (user, entry) in file.entries.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
        written += user + [UInt8(ascii: ":")] + stored(entry.hash)
        if let aging = entry.aging {
            written += Array(":\(field(aging.lastChange))::\(field(aging.maximumDays))::\(field(aging.inactiveDays)):\(field(aging.expiresOn)):".utf8)
        }
        // The reader drops one CR before each LF (CRLF files), so a value that ends in CR was
        // written with CRLF and is written back so.
        if written.last == UInt8(ascii: "\r") { written.append(UInt8(ascii: "\r")) }
        written.append(UInt8(ascii: "\n"))
    }
    let again = PasswordFile.read(path: "again", contents: written, format: file.format, allowPlaintext: allowPlaintext)
    require(again.problems.isEmpty, "the written table has problems: \(again.problems)")
    require(again.entries.count == file.entries.count, "the written table has \(again.entries.count) users, not \(file.entries.count)")
    for (user, entry) in file.entries {
        guard let other = again.entries[user] else { return require(false, "a user was lost writing the table back") }
        require(other.hash == entry.hash && other.aging == entry.aging, "a user's entry changed writing the table back")
    }
}

func checkGroups(_ contents: [UInt8]) {
    guard let groups = try? GroupFile(path: "fuzz", contents: contents) else { return }
    var byGroup: [String: [[UInt8]]] = [:]
    for (user, names) in groups.groups {
        require(!user.isEmpty && !user.contains { $0 <= 0x20 || $0 == 0x7F }, "impossible user in a group")
        require(Set(names).count == names.count, "a group listed twice for one user")
        for name in names { byGroup[name, default: []].append(user) }
        let attribute = groups.attributes(of: user)
        require(attribute.count == 1 && attribute[0].value == names.joined(separator: ","), "the groups attribute is not the groups")
    }
    require(byGroup.count <= groups.groupCount, "more groups with members than groups")
    var written: [UInt8] = []
    for (name, users) in byGroup.sorted(by: { $0.key < $1.key }) {
        written += Array("\(name):".utf8)
        for user in users { written += [UInt8(ascii: " ")] + user }
        written.append(UInt8(ascii: "\n"))
    }
    guard let again = try? GroupFile(path: "again", contents: written) else { return require(false, "written groups do not parse") }
    for (user, names) in groups.groups {
        require(Set(again.groups[user] ?? []) == Set(names), "a user's groups changed writing the file back")
    }
}
