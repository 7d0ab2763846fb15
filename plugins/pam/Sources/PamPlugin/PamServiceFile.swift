import PortcullisPluginKit

#if canImport(Glibc)
import Glibc
#endif

/// Reads a PAM service file the way Linux-PAM does, far enough to tell which modules it runs:
/// `type control module args` lines (a `-` before the type, a `[...]` control, `\` line
/// continuations), `@include FILE` lines and `include`/`substack` controls, followed into the
/// same directory. Used only for configuration warnings, never to decide a request.
struct PamServiceFile {
    /// The directory the service file and its includes are read from.
    let directory: String

    /// Where Linux-PAM finds `service`: `confdir` if given, else /etc/pam.d, else /usr/lib/pam.d.
    static func directory(for service: String, confdir: String?) -> String? {
        if let confdir { return confdir }
        return ["/etc/pam.d", "/usr/lib/pam.d"].first { access($0 + "/" + service, R_OK) == 0 }
    }

    /// Whether `service`, or a file it includes, runs `module` (e.g. `pam_unix.so`, by file name,
    /// with or without a directory) for one of `types` (`auth`, `account`, ...).
    func uses(_ module: String, service: String, types: Set<String>) -> Bool {
        var visited = Set<String>()
        return uses(module, file: service, types: types, visited: &visited)
    }

    private func uses(_ module: String, file: String, types: Set<String>, visited: inout Set<String>) -> Bool {
        let path = file.hasPrefix("/") ? file : directory + "/" + file
        // A loop of includes ends here; Linux-PAM itself stops at a depth limit.
        guard visited.insert(path).inserted, visited.count <= 32, let text = Self.read(path) else { return false }
        for line in Self.logicalLines(text) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = words.first else { continue }
            if first == "@include" {
                if words.count > 1, uses(module, file: words[1], types: types, visited: &visited) { return true }
                continue
            }
            let type = first.hasPrefix("-") ? String(first.dropFirst()) : first
            guard types.contains(type.lowercased()) else { continue }
            // The control is one word or a bracketed list of words; the module comes after it.
            var index = 1
            if words.count > index, words[index].hasPrefix("[") {
                while index < words.count, !words[index].hasSuffix("]") { index += 1 }
            }
            let control = index < words.count ? words[index] : ""
            index += 1
            guard index < words.count else { continue }
            let target = words[index]
            if control == "include" || control == "substack" {
                if uses(module, file: target, types: types, visited: &visited) { return true }
            } else if target.split(separator: "/").last.map(String.init) == module {
                return true
            }
        }
        return false
    }

    /// Lines without comments, with `\`-continued lines joined.
    private static func logicalLines(_ text: String) -> [String] {
        var lines: [String] = []
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = String(raw)
            if let hash = line.firstIndex(of: "#") { line = String(line[..<hash]) }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            lines.append(pending + line)
            pending = ""
        }
        if !pending.isEmpty { lines.append(pending) }
        return lines
    }

    private static func read(_ path: String) -> String? {
        (try? FileSnapshot.read(path, maximumSize: 1 << 20)).map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// Whether this process can open `path` for reading (a real open, not access(2)'s guess).
    static func canRead(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return false }
        close(descriptor)
        return true
    }
}
