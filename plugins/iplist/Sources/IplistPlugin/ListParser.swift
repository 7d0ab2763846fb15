public import PortcullisPluginKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads list entries: one address or CIDR prefix per line, `#` starts a comment, blank
/// lines are skipped. Host bits set (`10.0.0.1/8`) are an error, never silently masked.
public enum ListParser {
    /// Parses one entry as written in a TOML array (no comments there).
    public static func entry(_ text: String, source: String, line: Int) throws(ListError) -> IPPrefix {
        do {
            return try IPPrefix(parsing: text.trimmingASCIIWhitespace())
        } catch {
            throw ListError(source: source, line: line, message: error.description)
        }
    }

    /// Parses a whole file's bytes, adding every entry to `builder` as `action`.
    /// Works on bytes and creates a string only per entry: files run to a million lines.
    public static func parse(
        _ bytes: [UInt8], source: String, action: ListAction, into builder: inout IPList.Builder
    ) throws(ListError) {
        var lineNumber = 0
        var lineStart = 0
        while lineStart < bytes.count {
            lineNumber += 1
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            defer { lineStart = lineEnd + 1 }
            let content = bytes[lineStart..<lineEnd].prefix { $0 != UInt8(ascii: "#") }
            guard let first = content.firstIndex(where: { !isSpace($0) }),
                let last = content.lastIndex(where: { !isSpace($0) })
            else { continue }
            let field = content[first...last]
            if let prefix = fastPrefix(field) {
                builder.add(prefix, action)
                continue
            }
            // Anything the fast path does not take gets IPPrefix's own parse and messages.
            guard let text = String(validating: field, as: UTF8.self) else {
                throw ListError(source: source, line: lineNumber, message: "not valid UTF-8")
            }
            if field.contains(where: isSpace) {
                throw ListError(source: source, line: lineNumber, message: "'\(text)': one address or prefix per line")
            }
            do {
                builder.add(try IPPrefix(parsing: text), action)
            } catch {
                throw ListError(source: source, line: lineNumber, message: error.description)
            }
        }
    }
}

/// The common case of a valid entry, parsed without building strings: a million-line file
/// spent most of its load time in String handling. Accepts exactly what
/// `IPPrefix(parsing:)` accepts (inet_pton, 1–3 ASCII digits of length, no host bits) and
/// returns nil for everything else, which then takes the general path and its messages.
func fastPrefix(_ field: ArraySlice<UInt8>) -> IPPrefix? {
    let slash = field.firstIndex(of: UInt8(ascii: "/"))
    let addressBytes = field[..<(slash ?? field.endIndex)]
    let isV6 = addressBytes.contains(UInt8(ascii: ":"))
    // inet_pton stops at a NUL: `::\0x` must not read as `::`.
    guard addressBytes.count <= (isV6 ? 45 : 15), !addressBytes.contains(0) else { return nil }
    var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))  // 48 bytes, NUL-filled
    let address: IPAddress? = withUnsafeMutableBytes(of: &buffer) { raw in
        raw.copyBytes(from: addressBytes)
        let text = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
        if isV6 {
            var value = in6_addr()
            guard inet_pton(AF_INET6, text, &value) == 1 else { return nil }
            return withUnsafeBytes(of: &value) { .v6(UInt128(bigEndian: $0.loadUnaligned(as: UInt128.self))) }
        }
        var value = in_addr()
        guard inet_pton(AF_INET, text, &value) == 1 else { return nil }
        return .v4(UInt32(bigEndian: value.s_addr))
    }
    guard let address else { return nil }
    var length = address.bitWidth
    if let slash {
        let digits = field[(slash + 1)...]
        guard (1...3).contains(digits.count), digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        length = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard length <= address.bitWidth else { return nil }
    }
    let prefix = IPPrefix(address: address, length: length)
    return prefix.network == address ? prefix : nil
}

private func isSpace(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { !isSpace($0) && $0 != UInt8(ascii: "\n") }),
            let last = bytes.lastIndex(where: { !isSpace($0) && $0 != UInt8(ascii: "\n") })
        else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
