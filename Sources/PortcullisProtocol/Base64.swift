/// Strict RFC 4648 base64, both alphabets.
///
/// Written here rather than taken from Foundation because credentials need exact rules:
/// no whitespace, no mixed alphabets, padding exactly as the caller requires, and no
/// non-canonical trailing bits (two different strings must never decode to the same bytes).
public enum Base64 {
    public enum Alphabet: Sendable {
        /// `+` and `/` (RFC 4648 §4), as in HTTP Basic.
        case standard
        /// `-` and `_` (RFC 4648 §5), as in JWS compact serialization.
        case url
    }

    public enum Padding: Sendable {
        case required
        case forbidden
    }

    /// Decodes `text`, or returns nil if it breaks any rule.
    public static func decode(_ text: some Collection<UInt8>, alphabet: Alphabet, padding: Padding) -> [UInt8]? {
        if let decoded = text.withContiguousStorageIfAvailable({ decode(UnsafeRawBufferPointer($0), alphabet: alphabet, padding: padding) }) {
            return decoded
        }
        return Array(text).withUnsafeBytes { decode($0, alphabet: alphabet, padding: padding) }
    }

    /// Decodes bytes already in memory without copying them first, four symbols per step: the
    /// hmac plugin decodes every token it verifies with it. The one decoder; the generic entry
    /// point above only finds the bytes.
    public static func decode(_ text: UnsafeRawBufferPointer, alphabet: Alphabet, padding: Padding) -> [UInt8]? {
        var end = text.count
        while end > 0, text[end - 1] == UInt8(ascii: "=") { end -= 1 }
        let padCount = text.count - end
        switch padding {
        case .required:
            guard text.count % 4 == 0, padCount == (4 - end % 4) % 4 else { return nil }
        case .forbidden:
            guard padCount == 0 else { return nil }
        }
        // One symbol carries 6 bits: a lone last symbol cannot make a byte.
        guard end % 4 != 1 else { return nil }

        let table = alphabet == .standard ? standardDecode : urlDecode
        var valid = true
        let output = [UInt8](unsafeUninitializedCapacity: end * 3 / 4) { output, initialized in
            table.withUnsafeBufferPointer { table in
                var out = 0
                var index = 0
                // Every symbol's value is below 64; 0xFF (not in the alphabet, `=` included) sets the top bit.
                while index + 4 <= end {
                    let a = table[Int(text[index])], b = table[Int(text[index + 1])]
                    let c = table[Int(text[index + 2])], d = table[Int(text[index + 3])]
                    guard (a | b | c | d) & 0x80 == 0 else { valid = false; return }
                    let chunk = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    output[out] = UInt8(truncatingIfNeeded: chunk >> 16)
                    output[out + 1] = UInt8(truncatingIfNeeded: chunk >> 8)
                    output[out + 2] = UInt8(truncatingIfNeeded: chunk)
                    out += 3
                    index += 4
                }
                // The bits past the last byte must be zero: otherwise several encodings would map
                // to one value (two different strings must never decode to the same bytes).
                switch end - index {
                case 2:
                    let a = table[Int(text[index])], b = table[Int(text[index + 1])]
                    guard (a | b) & 0x80 == 0, b & 0x0F == 0 else { valid = false; return }
                    output[out] = a << 2 | b >> 4
                    out += 1
                case 3:
                    let a = table[Int(text[index])], b = table[Int(text[index + 1])], c = table[Int(text[index + 2])]
                    guard (a | b | c) & 0x80 == 0, c & 0x03 == 0 else { valid = false; return }
                    output[out] = a << 2 | b >> 4
                    output[out + 1] = b << 4 | c >> 2
                    out += 2
                default:
                    break
                }
                initialized = out
            }
        }
        return valid ? output : nil
    }

    /// Encodes `bytes`; padding is added for `.required`.
    public static func encode(_ bytes: some Collection<UInt8>, alphabet: Alphabet, padding: Padding) -> String {
        let symbols = Array((alphabet == .standard ? standardSymbols : urlSymbols).utf8)
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = iterator.next()
            let chunk = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            output.append(symbols[Int(chunk >> 18 & 63)])
            output.append(symbols[Int(chunk >> 12 & 63)])
            if second != nil { output.append(symbols[Int(chunk >> 6 & 63)]) }
            if third != nil { output.append(symbols[Int(chunk & 63)]) }
            if padding == .required {
                if second == nil { output.append(contentsOf: Array("==".utf8)) } else if third == nil { output.append(UInt8(ascii: "=")) }
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static let standardSymbols = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    private static let urlSymbols = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    private static let standardDecode = decodeTable(standardSymbols)
    private static let urlDecode = decodeTable(urlSymbols)

    private static func decodeTable(_ symbols: String) -> [UInt8] {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, symbol) in symbols.utf8.enumerated() { table[Int(symbol)] = UInt8(index) }
        return table
    }
}
