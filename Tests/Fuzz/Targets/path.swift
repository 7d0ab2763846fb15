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
        if target.hasPrefix("/") { require((try? RequestPath(target: "http://example.com" + target)) == nil, "absolute form accepted what origin form refused") }
        return nil
    }
    let text = Array(path.text.utf8)
    require(text.first == UInt8(ascii: "/"), "a normalized path must start with '/'")
    require(!path.text.contains("//"), "repeated slashes survived")
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
    require((try? RequestPath(target: path.text))?.text == path.text, "normalization is not idempotent: \(path.text)")
    // The fast path and the full normalization agree: the absolute form always takes the full one.
    if target.hasPrefix("/") {
        require((try? RequestPath(target: "http://example.com" + target))?.text == path.text, "absolute form normalizes differently")
    }
    // A query never changes the path.
    if !target.contains("?") && !target.contains("#") {
        require((try? RequestPath(target: target + "?a=/../b#c"))?.text == path.text, "a query changed the path")
    }
    // Segments join back into the text.
    require(path.segments.isEmpty ? path.text == "/" : "/" + path.segments.joined(separator: "/") == path.text, "segments do not rebuild the text")
    return path
}

func checkPattern(_ text: String, _ path: RequestPath?) {
    guard let pattern = try? PathPattern(text) else { return }
    // A pattern's own text, normalized, is a pattern again with the same text.
    require((try? PathPattern(pattern.text))?.text == pattern.text, "a pattern's text is not a pattern of itself")
    // A pattern without wildcards matches exactly its own path.
    if !pattern.text.contains("*"), let own = try? RequestPath(target: pattern.text) {
        require(pattern.matches(own), "a literal pattern does not match its own path")
        if let path { require(pattern.matches(path) == (path == own), "a literal pattern matched another path") }
    }
    // `/prefix/**` matches a path exactly when the path is the prefix or below it.
    if let path, !pattern.text.contains("*") {
        let below = try? PathPattern(pattern.text == "/" ? "/**" : pattern.text + "/**")
        let base = pattern.text.hasSuffix("/") && pattern.text != "/" ? String(pattern.text.dropLast()) : pattern.text
        let expected = base == "/" || path.text == base || path.text.hasPrefix(base + "/")
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
