/// The `for=` nodes of RFC 7239 `Forwarded` header values, in order, or nil when any element
/// is malformed (the caller then fails closed).
///
/// Hand-written: no library here parses RFC 7239, and the grammar is small
/// (elements split on `,`, pairs on `;`, values are tokens or quoted strings).
enum ForwardedHeader {
    static func forNodes(_ values: [String]) -> [String]? {
        var nodes: [String] = []
        for value in values {
            guard let elements = elements(of: value) else { return nil }
            for element in elements {
                let forValues = element.filter { $0.name == "for" }.map(\.value)
                guard forValues.count == 1, let node = forValues.first else { return nil }
                nodes.append(node)
            }
        }
        return nodes
    }

    private typealias Pair = (name: String, value: String)

    /// Splits one header value into elements of lowercase-named pairs.
    private static func elements(of value: String) -> [[Pair]]? {
        var elements: [[Pair]] = []
        var pairs: [Pair] = []
        var scanner = Scanner(Array(value.utf8))
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
            elements.append(pairs)
            pairs = []
            if scanner.atEnd { return elements }
            guard scanner.take(UInt8(ascii: ",")) else { return nil }
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
