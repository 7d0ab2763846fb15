extension Base64 {
    /// The same decoder as ``decode(_:alphabet:padding:)``, same rules and results, for bytes
    /// already in memory: no copy first, four symbols per step. Hot paths use it (the hmac
    /// plugin decodes every token it verifies); the generic entry point stays the reference.
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
        guard end % 4 != 1 else { return nil }

        let table = alphabet == .standard ? bufferStandardDecode : bufferURLDecode
        var valid = true
        let output = [UInt8](unsafeUninitializedCapacity: end * 3 / 4) { output, initialized in
            table.withUnsafeBufferPointer { table in
                var out = 0
                var index = 0
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
                switch end - index {
                case 2:
                    let a = table[Int(text[index])], b = table[Int(text[index + 1])]
                    // The 4 bits past the last byte must be zero: one encoding per value.
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

    private static let bufferStandardDecode = bufferDecodeTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    private static let bufferURLDecode = bufferDecodeTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    private static func bufferDecodeTable(_ symbols: String) -> [UInt8] {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, symbol) in symbols.utf8.enumerated() { table[Int(symbol)] = UInt8(index) }
        return table
    }
}
