import PortcullisPluginKit

// Request path normalization and path patterns:
// Sources/PortcullisPluginKit/RequestPath.swift and PathPattern.swift.
//
// Input: a request target; after a NUL, optionally a path pattern to match it against.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let pieces = parts(bytes(start, count), limit: 2)
    guard let target = String(validating: pieces[0], as: UTF8.self) else { return 0 }
    let path = checkPath(target)
    if pieces.count == 2, let patternText = String(validating: pieces[1], as: UTF8.self) {
        checkPattern(patternText, path)
    }
    return 0
}

let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

@discardableResult
func checkPath(_ target: String) -> RequestPath? {
    let path: RequestPath
    do {
        path = try RequestPath(target: target)
    } catch {
        // The absolute form of a refused origin-form target is refused too.
        if starts(target, "/") { require((try? RequestPath(target: "http://example.com" + target)) == nil, "absolute form accepted what origin form refused") }
        return nil
    }
    let text = Array(path.text.utf8)
    require(text.first == UInt8(ascii: "/"), "a normalized path must start with '/'")
    require(!has(path.text, "//"), "repeated slashes survived")
    require(!text.contains { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "\\") || $0 < 0x20 || $0 == 0x7F },
            "a query, fragment, parameter, backslash or control character survived")
    for segment in path.segments {
        require(segment != "." && segment != "..", "a dot segment survived")
    }
    // Escapes left are upper-case and never of an unreserved character, '/', '\' or NUL.
    var index = 0
    while index < text.count {
        if text[index] == UInt8(ascii: "%") {
            require(index + 2 < text.count, "a truncated escape survived")
            let hex = String(decoding: text[(index + 1)...(index + 2)], as: UTF8.self)
            guard let value = UInt8(hex, radix: 16) else {
                require(false, "a bad escape survived")
                return nil
            }
            require(hex == hex.uppercased(), "an escape is not upper-case")
            require(!unreserved.contains(value) && value != UInt8(ascii: "/") && value != UInt8(ascii: "\\") && value != 0,
                    "escape %\(hex) survived")
            index += 3
        } else {
            index += 1
        }
    }
    // Normalizing a normalized path changes nothing.
    require(same((try? RequestPath(target: path.text))?.text, path.text), "normalization is not idempotent: \(path.text)")
    // The fast path and the full normalization agree: the absolute form always takes the full one.
    if starts(target, "/") {
        require(same((try? RequestPath(target: "http://example.com" + target))?.text, path.text), "absolute form normalizes differently")
    }
    // A query never changes the path.
    if !has(target, "?") && !has(target, "#") {
        require(same((try? RequestPath(target: target + "?a=/../b#c"))?.text, path.text), "a query changed the path")
    }
    // Segments join back into the text.
    require(path.segments.isEmpty ? path.text == "/" : same("/" + path.segments.joined(separator: "/"), path.text), "segments do not rebuild the text")
    return path
}

// On bytes: a combining mark after '/', '?' or '*' makes one Character of the two, so the
// Character-level `contains` and `hasPrefix` miss them (the parsers work on bytes too).
func has(_ text: String, _ part: String) -> Bool { Array(text.utf8).firstRange(of: Array(part.utf8)) != nil }
/// String's == is canonical equivalence ("\u{E9}" == "e\u{301}"); paths are compared as bytes.
func same(_ a: String?, _ b: String) -> Bool { a.map { $0.utf8.elementsEqual(b.utf8) } ?? false }
func starts(_ text: String, _ prefix: String) -> Bool { text.utf8.starts(with: prefix.utf8) }

func checkPattern(_ text: String, _ path: RequestPath?) {
    guard let pattern = try? PathPattern(text) else { return }
    // A pattern's own text, normalized, is a pattern again with the same text.
    require(same((try? PathPattern(pattern.text))?.text, pattern.text), "a pattern's text is not a pattern of itself")
    // A pattern without wildcards matches exactly its own path.
    if !has(pattern.text, "*"), let own = try? RequestPath(target: pattern.text) {
        require(pattern.matches(own), "a literal pattern does not match its own path")
        if let path { require(pattern.matches(path) == same(path.text, own.text), "a literal pattern matched another path") }
    }
    // `/prefix/**` matches a path exactly when the path is the prefix or below it.
    if let path, !has(pattern.text, "*") {
        let below = try? PathPattern(pattern.text == "/" ? "/**" : pattern.text + "/**")
        let base = pattern.text.utf8.last == UInt8(ascii: "/") && pattern.text != "/" ? String(decoding: pattern.text.utf8.dropLast(), as: UTF8.self) : pattern.text
        let expected = base == "/" || same(path.text, base) || starts(path.text, base + "/")
        if let below { require(below.matches(path) == expected, "\(below.text) against \(path.text)") }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    // Fields: target. Verdict: "ok<TAB>normalized" or "refused<TAB>why".
    runPrintModeIfAsked { fields in
        do { return "ok\t" + (try RequestPath(target: fields.first ?? "")).text } catch { return "refused\t\(error)" }
    }
    return 0
}
