public import PortcullisPluginKit

/// Revoked token ids (`jti`, RFC 7519 §4.1.7): one per line; blank lines and lines starting
/// with `#` are skipped; surrounding spaces are trimmed.
public struct RevocationList: Sendable {
    public let ids: Set<String>

    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(ids: Set<String> = []) {
        self.ids = ids
    }

    /// Parses the file's bytes; `file` names the source in errors.
    public init(bytes: [UInt8], file: String) throws(Error) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw Error(description: "\(file): not UTF-8 text")
        }
        var ids: Set<String> = []
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard !line.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true }) else {
                throw Error(description: "\(file):\(index + 1): a jti has no white space or control characters")
            }
            ids.insert(String(line))
        }
        self.ids = ids
    }

    /// Parses a snapshot of a revocation file (as `WatchedFile` reads it).
    public init(contentsOf snapshot: FileSnapshot) throws(Error) {
        try self.init(bytes: snapshot.bytes, file: snapshot.path)
    }

    public init(contentsOf path: String) throws(Error) {
        let snapshot: FileSnapshot
        do {
            snapshot = try FileSnapshot.read(path)
        } catch {
            throw Error(description: error.description)
        }
        try self.init(contentsOf: snapshot)
    }

    public func contains(_ jti: String) -> Bool { ids.contains(jti) }
}

extension Substring {
    /// Without the spaces and tabs around it (what Foundation's `.whitespaces` trims).
    fileprivate func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0.isWhitespace && !$0.isNewline }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[first...last]
    }
}
