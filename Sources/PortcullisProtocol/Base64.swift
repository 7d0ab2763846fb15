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
        let table = alphabet == .standard ? standardDecode : urlDecode
        var input = Array(text)
        var padCount = 0
        while input.last == UInt8(ascii: "=") {
            input.removeLast()
            padCount += 1
        }
        switch padding {
        case .required:
            guard (input.count + padCount) % 4 == 0, padCount == (4 - input.count % 4) % 4 else { return nil }
        case .forbidden:
            guard padCount == 0 else { return nil }
        }
        guard input.count % 4 != 1 else { return nil }

        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in input {
            let value = table[Int(byte)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // Leftover bits must be zero: otherwise several encodings would map to one value.
        guard accumulator == 0 else { return nil }
        return output
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
