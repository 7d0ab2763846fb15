/// RFC 7239 `Forwarded`, read the way proxies write it: each proxy appends an element on the
/// right (§4), so the resolver takes elements from the right and stops at the first untrusted
/// hop. What the client wrote to the left of that hop is split off but never parsed: a
/// malformed element there cannot unset the client.
///
/// Hand-written: no library here parses RFC 7239, and the grammar is small
/// (elements split on `,`, pairs on `;`, values are tokens or quoted strings).
enum ForwardedHeader {
    /// The elements of `values` (the header's lines, in order), nearest hop first. Splitting
    /// runs right to left, honouring quoted strings, so a well-formed element on the right is
    /// found exactly whatever precedes it (an unbalanced quote on the left stays on the left).
    static func elementsFromRight(_ values: [String]) -> [String] {
        var elements: [String] = []
        for value in values.reversed() {
            let bytes = Array(value.utf8)
            var end = bytes.endIndex
            var index = bytes.endIndex
            var quoted = false
            while index > bytes.startIndex {
                index -= 1
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    // Inside a quoted string, a quote after an odd run of backslashes is escaped.
                    var backslashes = 0
                    while index - backslashes > bytes.startIndex, bytes[index - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
                    if !quoted || backslashes % 2 == 0 { quoted.toggle() }
                case UInt8(ascii: ",") where !quoted:
                    elements.append(String(decoding: bytes[(index + 1)..<end], as: UTF8.self))
                    end = index
                default:
                    break
                }
            }
            elements.append(String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self))
        }
        return elements
    }

    /// The `for=` node of one element, or nil when the element is malformed or has no single `for`.
    static func forNode(ofElement element: String) -> String? {
        guard let pairs = pairs(of: element) else { return nil }
        let forValues = pairs.filter { $0.name == "for" }.map(\.value)
        guard forValues.count == 1 else { return nil }
        return forValues.first
    }

    private typealias Pair = (name: String, value: String)

    /// Splits one element into lowercase-named pairs; nil unless the whole element parses.
    private static func pairs(of element: String) -> [Pair]? {
        var pairs: [Pair] = []
        var scanner = Scanner(Array(element.utf8))
        while true {
            scanner.skipWhitespace()
            let name = scanner.token()
            guard !name.isEmpty, scanner.take(UInt8(ascii: "=")) else { return nil }
            guard let pairValue = scanner.peek == UInt8(ascii: "\"") ? scanner.quotedString() : nonEmpty(scanner.token()) else {
                return nil
            }
            pairs.append((name.lowercased(), pairValue))
            scanner.skipWhitespace()
            if scanner.take(UInt8(ascii: ";")) { continue }
            return scanner.atEnd ? pairs : nil
        }
    }

    private static func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[index] }

        mutating func skipWhitespace() {
            while let byte = peek, byte == .space || byte == .tab { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        /// tchar run (RFC 9110 §5.6.2).
        mutating func token() -> String {
            let start = index
            while let byte = peek, byte > 0x20, byte < 0x7F, !Array("\"(),/:;<=>?@[\\]{}".utf8).contains(byte) {
                index += 1
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// quoted-string with backslash escapes (RFC 9110 §5.6.4).
        mutating func quotedString() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            var value: [UInt8] = []
            while let byte = peek {
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return String(decoding: value, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let escaped = peek else { return nil }
                    index += 1
                    value.append(escaped)
                case 0x00..<0x20 where byte != .tab, 0x7F: return nil
                default: value.append(byte)
                }
            }
            return nil
        }
    }
}
