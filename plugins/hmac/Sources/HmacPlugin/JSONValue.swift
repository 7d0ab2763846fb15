import PortcullisPluginKit

/// A JSON value (RFC 8259), as read from a JWS header, JWT claims or a JSON Web Key Set.
///
/// Parsed by hand rather than with Foundation because the verifier's budget is one HMAC
/// (about a microsecond): Foundation's parsers cost several times that, and they blur
/// booleans into numbers. This parser is strict: no trailing commas, no comments, no
/// leading zeros, valid UTF-8 only, unpaired surrogates refused, and duplicate member
/// names refused (RFC 7515 §5.2 allows it, and a duplicate `exp` or `alg` is an attack).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Why a text is not JSON, with the byte offset where the parser stopped.
    public struct ParseError: Error, Equatable, CustomStringConvertible, Sendable {
        public let offset: Int
        public let message: String
        public var description: String { "\(message) at byte \(offset)" }
    }

    /// Parses exactly one JSON value (surrounding white space allowed).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> JSONValue {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    /// Parses exactly one JSON value from `bytes`.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
        do {
            return try bytes.withUnsafeBytes { buffer in try parse(buffer) }
        } catch let error as ParseError {
            throw error
        } catch {
            throw ParseError(offset: 0, message: "unexpected error")
        }
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }
}

extension JSONValue {
    /// Compact JSON text; object members sorted by name so output is deterministic.
    public var serialized: String {
        var output = ""
        write(to: &output)
        return output
    }

    private func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 {
                output += String(Int64(value))
            } else {
                output += "\(value)"
            }
        case .string(let value): JSONString.write(value, to: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, member) in members.members.sorted(by: { $0.name < $1.name }).enumerated() {
                if index > 0 { output += "," }
                JSONString.write(member.name, to: &output)
                output += ":"
                member.value.write(to: &output)
            }
            output += "}"
        }
    }
}

/// A recursive-descent parser over raw bytes.
private struct Parser {
    let bytes: UnsafeRawBufferPointer
    var index = 0
    /// Tokens are small; a deep nesting is an attack on the stack, not a token.
    static let maxDepth = 32

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    func error(_ message: String) -> JSONValue.ParseError {
        JSONValue.ParseError(offset: index, message: message)
    }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    mutating func expect(_ literal: StaticString, _ value: JSONValue) throws(JSONValue.ParseError) -> JSONValue {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of JSON") }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw error("invalid literal")
        }
        index += count
        return value
    }

    mutating func value(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        guard depth < Self.maxDepth else { throw error("JSON nested too deeply") }
        guard let byte = current else { throw error("unexpected end of JSON") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character")
        }
    }

    mutating func object(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        index += 1
        var members: [(name: String, value: JSONValue)] = []
        // Duplicate names are found by a scan while objects are small, by a set beyond that
        // (so a hostile object with thousands of members stays linear).
        var names: Set<String>?
        members.reserveCapacity(8)
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject(uniqueMembers: members))
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let nameOffset = index
            let name = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            let value = try value(depth: depth + 1)
            let isDuplicate: Bool
            if names != nil {
                isDuplicate = names?.insert(name).inserted == false
            } else {
                isDuplicate = members.contains { $0.name == name }
                if members.count >= 16 { names = Set(members.map(\.name) + [name]) }
            }
            guard !isDuplicate else { throw JSONValue.ParseError(offset: nameOffset, message: "duplicate member name") }
            members.append((name, value))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return .object(JSONObject(uniqueMembers: members))
            default: throw error("expected ',' or '}'")
            }
        }
    }

    mutating func array(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        index += 1
        var values: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(values)
        }
        while true {
            skipWhitespace()
            values.append(try value(depth: depth + 1))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(values)
            default: throw error("expected ',' or ']'")
            }
        }
    }

    mutating func number() throws(JSONValue.ParseError) -> Double {
        let start = index
        var integer: Int64 = 0
        var isSimple = true  // an integer of at most 15 digits: exact in a Double, no conversion needed
        var negative = false
        if current == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            throw error("invalid number")
        }
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            var digits = 0
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                integer = integer &* 10 &+ Int64(byte - UInt8(ascii: "0"))
                digits += 1
                index += 1
            }
            if digits > 15 { isSimple = false }
        }
        if current == UInt8(ascii: ".") {
            isSimple = false
            index += 1
            try digits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isSimple = false
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            try digits()
        }
        if isSimple { return Double(negative ? -integer : integer) }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw error("invalid number") }
        return value
    }

    mutating func digits() throws(JSONValue.ParseError) {
        let start = index
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        guard index > start else { throw error("invalid number") }
    }

    mutating func string() throws(JSONValue.ParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes, so the raw bytes are the string (UTF-8 checked below).
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw error("control character in string") }
            index += 1
        }
        guard let stop = current else { throw error("unterminated string") }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        if stop == UInt8(ascii: "\""), raw.allSatisfy({ $0 < 0x80 }) {
            // ASCII (nearly every JWT string): nothing to validate, nothing to replace.
            index += 1
            return String(decoding: raw, as: UTF8.self)
        }
        var scalars = [UInt8](raw)
        // Slow path: decode escapes into UTF-8.
        while true {
            guard let byte = current else { throw error("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: scalars, as: UTF8.self) else { throw error("invalid UTF-8 in string") }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = current else { throw error("unterminated string") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(code) {
                        throw error("unpaired surrogate")
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("invalid escape") }
                    scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw error("invalid escape")
                }
            default:
                guard byte >= 0x20 else { throw error("control character in string") }
                scalars.append(byte)
                index += 1
            }
        }
    }

    mutating func hex4() throws(JSONValue.ParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("invalid escape") }
        var code: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid escape")
            }
            code = code << 4 | UInt32(digit)
            index += 1
        }
        return code
    }
}
