/// A path glob for rules and exemptions, matched against a ``RequestPath``: `*` matches any
/// characters within one segment, a `**` segment matches zero or more whole segments.
///
/// - `/hooks/github` matches only itself: not `/hooks/github/`, not `/hooks/githubx`;
/// - `/admin/**` matches `/admin`, `/admin/` and everything beneath, never `/administrator`;
/// - `/api/*/items` matches `/api/v1/items`, not `/api/v1/x/items`.
///
/// The pattern is normalized like a request path (so `/a//b` and `/a/./b` are `/a/b`), which
/// is why it must not contain what a path would be refused for, nor `?`.
public struct PathPattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    private let segments: [Segment]

    private enum Segment: Hashable {
        /// `**`: any number of segments, none included.
        case anyDepth
        /// Bytes to match, where each `*` matches any run of bytes within the segment.
        case glob([ArraySlice<UInt8>])
    }

    /// Checked on bytes, never Characters: a combining mark after `/`, `?` or `*` makes one
    /// Character of the two, so `"/\u{6E7}".first` is not `"/"`, and `"?\u{301}"` holds no `"?"`.
    public init(_ pattern: String) throws(PathPatternError) {
        let bytes = pattern.utf8
        guard bytes.first == UInt8(ascii: "/") else { throw PathPatternError(pattern: pattern, problem: "must start with '/'") }
        guard !bytes.contains(UInt8(ascii: "?")), !bytes.contains(UInt8(ascii: "#")) else {
            throw PathPatternError(pattern: pattern, problem: "must not contain '?' or '#' (a query is never matched)")
        }
        let path: RequestPath
        do { path = try RequestPath(target: pattern) } catch {
            throw PathPatternError(pattern: pattern, problem: "is not a valid path: \(error)")
        }
        var segments: [Segment] = []
        let star = UInt8(ascii: "*")
        for segment in path.segments.map({ Array($0.utf8) }) {
            if segment == [star, star] {
                if segments.last != .anyDepth { segments.append(.anyDepth) }
            } else if zip(segment, segment.dropFirst()).contains(where: { $0 == star && $1 == star }) {
                throw PathPatternError(pattern: pattern, problem: "uses '**' inside a segment ('**' must be a whole segment)")
            } else {
                segments.append(.glob(segment.split(separator: star, omittingEmptySubsequences: false)))
            }
        }
        self.text = path.text
        self.segments = segments
    }

    public var description: String { text }

    public func matches(_ path: RequestPath) -> Bool {
        let target = path.segments.map { Array($0.utf8)[...] }
        return Self.match(segments[...], target[...])
    }

    /// Segment lists, `**` trying each split. Patterns are short, so the backtracking is small.
    private static func match(_ pattern: ArraySlice<Segment>, _ path: ArraySlice<ArraySlice<UInt8>>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        switch first {
        case .anyDepth:
            let rest = pattern.dropFirst()
            return (path.startIndex...path.endIndex).contains { match(rest, path[$0...]) }
        case .glob(let parts):
            guard let segment = path.first, globMatches(parts, segment) else { return false }
            return match(pattern.dropFirst(), path.dropFirst())
        }
    }

    /// One segment against literal parts separated by `*`: the first part is a prefix, the last a
    /// suffix, the middle ones are found left to right (greedy is exact when `*` is the only wildcard).
    private static func globMatches(_ parts: [ArraySlice<UInt8>], _ segment: ArraySlice<UInt8>) -> Bool {
        guard parts.count > 1 else { return parts.first.map { $0.elementsEqual(segment) } ?? segment.isEmpty }
        guard let head = parts.first, let tail = parts.last, head.count + tail.count <= segment.count,
              segment.starts(with: head), segment.reversed().starts(with: tail.reversed())
        else { return false }
        var rest = segment.dropFirst(head.count).dropLast(tail.count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let found = rest.firstRange(of: part) else { return false }
            rest = rest[found.upperBound...]
        }
        return true
    }
}

/// A path pattern that cannot be used, with the pattern and what is wrong with it.
public struct PathPatternError: Error, Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    public let problem: String

    public var description: String { "path pattern '\(pattern)' \(problem)" }
}
