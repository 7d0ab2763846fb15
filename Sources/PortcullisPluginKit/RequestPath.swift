/// A request target's path as the upstream will serve it, for plugins that decide by path
/// (authz rules, csrf exemptions).
///
/// nginx hands `auth_request` the raw `$request_uri`, so a rule written for `/admin/**` must see
/// `/admin/x` in `//admin/x`, `/%61dmin/x`, `/admin/../admin/x` and `/admin;jsessionid=1/x`
/// (Tomcat drops `;params`). Normalizing (RFC 3986 §6.2.2, §5.2.4):
/// - the query and fragment are dropped; an absolute-form target keeps only its path;
/// - percent-encoded unreserved characters are decoded, other escapes get upper-case hex;
/// - `;params` are dropped from every segment, repeated slashes merged, dot segments removed.
///
/// What an upstream could read two ways is refused rather than guessed: an encoded `/`, `\` or
/// NUL, a raw `\` or control character, bad percent-encoding, dot segments climbing above the
/// root, a target that is not a path. Written here because no library on this machine
/// normalizes for this purpose (Foundation's URL keeps `;` and does not refuse `%2F`).
public struct RequestPath: Sendable, Hashable, CustomStringConvertible {
    /// The normalized path: starts with `/`, keeps a trailing `/`, escapes only what is not unreserved.
    public let text: String

    /// Normalizes a request target (path and query as sent).
    public init(target: String) throws(RequestPathError) {
        if let normal = Self.alreadyNormalized(target) {
            text = normal
            return
        }
        var bytes = Array(target.utf8)
        if let end = bytes.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            bytes.removeSubrange(end...)
        }
        bytes = try Self.originForm(bytes)
        var output: [[UInt8]] = []
        let segments = bytes.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for (index, raw) in segments.enumerated() {
            let isLast = index == segments.count - 1
            let withoutParameters = raw.prefix { $0 != UInt8(ascii: ";") }
            let segment = try Self.decodingUnreserved(withoutParameters)
            switch segment {
            case [UInt8(ascii: ".")]:
                if isLast { output.append([]) }
            case [UInt8(ascii: "."), UInt8(ascii: ".")]:
                guard output.popLast() != nil else { throw .climbsAboveRoot }
                if isLast { output.append([]) }
            case []:
                // `//` merges; a final empty segment is the trailing slash.
                if isLast { output.append([]) }
            default:
                output.append(segment)
            }
        }
        // After `/a/..`, `/a/b/..` and the like the final empty segment marks a trailing slash;
        // a lone empty segment is the root itself.
        if output == [[]] { output = [] }
        text = "/" + output.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
    }

    public var description: String { text }

    /// The path's segments: `/admin/x/` is `["admin", "x", ""]`, `/` is `[]`.
    ///
    /// Split on the `/` bytes, not on Characters: a combining mark after a slash (`/admin/\u{301}x`,
    /// raw UTF-8 in the target) makes one Character of the two, and a split on Characters would
    /// then see `admin/́x` as one segment that `/admin/**` does not match.
    public var segments: [Substring] {
        guard text != "/" else { return [] }
        let utf8 = text.utf8
        return utf8[utf8.index(after: utf8.startIndex)...].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .map { Substring($0) }
    }

    /// The common case in one pass, without copying: an origin-form path with nothing to decode,
    /// no parameters, no empty or dot segments (a query is cut off). nil sends the target through
    /// the full normalization, which gives the same text for every target this accepts.
    private static func alreadyNormalized(_ target: String) -> String? {
        let utf8 = target.utf8
        guard utf8.first == UInt8(ascii: "/") else { return nil }
        var end = utf8.endIndex
        var segmentLength = 0
        var segmentDots = 0
        func isDotSegment() -> Bool { segmentLength > 0 && segmentLength == segmentDots && segmentLength <= 2 }
        var index = utf8.index(after: utf8.startIndex)
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") {
                end = index
                break
            }
            switch byte {
            case UInt8(ascii: "/"):
                if segmentLength == 0 || isDotSegment() { return nil }
                segmentLength = 0
                segmentDots = 0
            case UInt8(ascii: "%"), UInt8(ascii: ";"), UInt8(ascii: "\\"), 0..<0x20, 0x7F:
                return nil
            case UInt8(ascii: "."):
                segmentLength += 1
                segmentDots += 1
            default:
                segmentLength += 1
            }
            index = utf8.index(after: index)
        }
        if isDotSegment() { return nil }
        return end == utf8.endIndex ? target : String(target[..<end])
    }

    /// The path of an origin-form or absolute-form target (RFC 9112 §3.2), without the leading
    /// scheme and authority; refuses the asterisk form, an empty target (what the daemon passes
    /// when a proxy did not say) and anything else.
    private static func originForm(_ bytes: [UInt8]) throws(RequestPathError) -> [UInt8] {
        if bytes.first == UInt8(ascii: "/") { return bytes }
        for scheme in ["http://", "https://"] where ASCIICaseInsensitive.equal(bytes.prefix(scheme.utf8.count), scheme.utf8) {
            let authorityAndPath = bytes.dropFirst(scheme.utf8.count)
            guard let slash = authorityAndPath.firstIndex(of: UInt8(ascii: "/")) else { return [UInt8(ascii: "/")] }
            return Array(authorityAndPath[slash...])
        }
        throw .notAPath
    }

    /// One segment with its unreserved escapes decoded and the rest upper-cased.
    private static func decodingUnreserved(_ segment: ArraySlice<UInt8>) throws(RequestPathError) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(segment.count)
        var index = segment.startIndex
        while index < segment.endIndex {
            let byte = segment[index]
            if byte == UInt8(ascii: "\\") { throw .backslash }
            if byte < 0x20 || byte == 0x7F { throw .controlCharacter }
            guard byte == UInt8(ascii: "%") else {
                result.append(byte)
                index += 1
                continue
            }
            guard segment.endIndex - index >= 3,
                  let high = hexValue(segment[index + 1]), let low = hexValue(segment[index + 2])
            else { throw .badPercentEncoding }
            let decoded = high << 4 | low
            switch decoded {
            case UInt8(ascii: "/"): throw .encodedSlash
            case UInt8(ascii: "\\"): throw .backslash
            case 0: throw .encodedNUL
            case _ where isUnreserved(decoded): result.append(decoded)
            default: result += [UInt8(ascii: "%"), hexDigits[Int(high)], hexDigits[Int(low)]]
            }
            index += 3
        }
        return result
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~".
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}

/// Why a request target was refused a path: each is a way two servers could read it differently.
public enum RequestPathError: Error, Sendable, Equatable, CustomStringConvertible {
    case encodedSlash, backslash, encodedNUL, controlCharacter, badPercentEncoding, climbsAboveRoot, notAPath

    public var description: String {
        switch self {
        case .encodedSlash: "the path has an encoded '/' (%2F)"
        case .backslash: "the path has a '\\' (raw or %5C)"
        case .encodedNUL: "the path has an encoded NUL (%00)"
        case .controlCharacter: "the path has a control character"
        case .badPercentEncoding: "the path has a '%' not followed by two hex digits"
        case .climbsAboveRoot: "the path's dot segments climb above the root"
        case .notAPath: "the request target is not a path"
        }
    }
}
