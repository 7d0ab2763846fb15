import PortcullisPluginKit

/// A parsed htpasswd or shadow file: an immutable table, replaced as a whole on reload.
struct PasswordFile: Sendable {
    enum Format: String, Sendable, CaseIterable {
        /// `user:hash` (anything after a second colon is ignored, as Apache does).
        case htpasswd
        /// `user:hash:lastchg:min:max:warn:inactive:expire:reserved`, shadow(5).
        case shadow
    }

    struct Entry: Sendable {
        let principal: String
        let hash: StoredHash
        let aging: ShadowAging?
    }

    let format: Format
    /// Keyed by the user's raw bytes: a Basic user-id is compared byte for byte.
    let entries: [[UInt8]: Entry]
    /// Verified for unknown users and locked entries: same cost as the file's most common scheme.
    let dummy: StoredHash
    /// One line per skipped line, `file:line: why` (never a hash or a password).
    let problems: [String]

    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    /// Parses `contents`. `format` nil detects it from the first entry: nine colon-separated fields
    /// make a shadow file, anything else an htpasswd file. Malformed lines are skipped and reported.
    init(path: String, contents: [UInt8], format: Format?, allowPlaintext: Bool) throws(LoadError) {
        let lines = Self.read(path: path, contents: contents, format: format, allowPlaintext: allowPlaintext)
        guard let dummy = lines.mostCommon?.dummy() ?? StoredHash.defaultDummy() else {
            throw LoadError(description: "\(path): libxcrypt could not make a dummy hash")
        }
        self.format = lines.format
        self.entries = lines.entries
        self.dummy = dummy
        self.problems = lines.problems
    }

    /// What the lines say, before the dummy hash is made (that costs one hash at the file's cost,
    /// which the fuzzer, reading the lines millions of times, cannot pay: Tests/Fuzz).
    struct Lines {
        let format: Format
        let entries: [[UInt8]: Entry]
        let problems: [String]
        /// A hash of the file's most common scheme and cost, nil when none is usable.
        let mostCommon: StoredHash?
    }

    static func read(path: String, contents: [UInt8], format: Format?, allowPlaintext: Bool) -> Lines {
        var entries: [[UInt8]: Entry] = [:]
        var problems: [String] = []
        var detected = format
        var costCounts: [String: (count: Int, sample: StoredHash)] = [:]

        let lines = contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            let number = index + 1
            var line = rawLine[...]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let content = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            if content.isEmpty || content.first == UInt8(ascii: "#") { continue }

            let fields = line.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            let lineFormat = detected ?? (fields.count == 9 ? .shadow : .htpasswd)
            detected = lineFormat
            func skip(_ why: String) { problems.append("\(path):\(number): \(why); line skipped") }

            guard fields.count >= 2 else { skip("expected user:hash"); continue }
            guard !fields[0].isEmpty, let principal = String(validating: fields[0], as: UTF8.self) else {
                skip("the user name is empty or not UTF-8")
                continue
            }
            var aging: ShadowAging?
            if lineFormat == .shadow {
                guard fields.count == 9 else { skip("a shadow line has 9 colon-separated fields, this one has \(fields.count)"); continue }
                var numbers: [Int?] = []
                for (fieldIndex, name) in [(2, "lastchg"), (4, "max"), (6, "inactive"), (7, "expire")] {
                    guard let value = Self.days(fields[fieldIndex]) else { numbers = []; skip("field '\(name)' is not a number of days"); break }
                    numbers.append(value)
                }
                guard numbers.count == 4 else { continue }
                guard Self.days(fields[3]) != nil, Self.days(fields[5]) != nil else { skip("field 'min' or 'warn' is not a number of days"); continue }
                aging = ShadowAging(lastChange: numbers[0], maximumDays: numbers[1], inactiveDays: numbers[2], expiresOn: numbers[3])
            }
            guard let hash = StoredHash(Array(fields[1]), allowPlaintext: allowPlaintext) else {
                skip(allowPlaintext
                    ? "unrecognised password hash for user '\(principal)' (shaped like a hash, so not taken as a plaintext password)"
                    : "unrecognised password hash for user '\(principal)' (plaintext needs allow_plaintext = true)")
                continue
            }
            let user = Array(fields[0])
            guard entries[user] == nil else { skip("user '\(principal)' appears again (the first line counts)"); continue }
            entries[user] = Entry(principal: principal, hash: hash, aging: aging)
            if hash != .locked {
                let key = hash.costKey
                let previous = costCounts[key]
                costCounts[key] = (count: (previous?.count ?? 0) + 1, sample: previous?.sample ?? hash)
            }
        }

        // Ties go to the lexically smallest key, so the choice does not change between loads.
        let mostCommon = costCounts.max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }?.value.sample
        return Lines(format: detected ?? .htpasswd, entries: entries, problems: problems, mostCommon: mostCommon)
    }

    /// How many users have a plaintext password (`allow_plaintext = true`), for the load warning.
    var plaintextUsers: Int {
        entries.values.filter { if case .plaintext = $0.hash { true } else { false } }.count
    }

    /// An aging field: empty is nil (no limit); otherwise a non-negative decimal number of days.
    /// Returns nil (malformed) for anything else, and `.some(nil)` for empty.
    private static func days(_ field: ArraySlice<UInt8>) -> Int?? {
        if field.isEmpty { return .some(nil) }
        guard field.count <= 9, field.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return .some(field.reduce(0) { $0 * 10 + Int($1 - 48) })
    }
}
