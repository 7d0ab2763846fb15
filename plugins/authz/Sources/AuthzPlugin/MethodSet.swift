/// Request methods as bits, so a rule's `methods` is one AND. The common methods have fixed
/// bits; a rules file's other methods (WebDAV's `PROPFIND`…) get the next ones, up to 63 in all;
/// the last bit is every method no rule names (which only rules without `methods` allow).
struct MethodSet: Sendable, Equatable {
    var bits: UInt64

    func intersects(_ other: MethodSet) -> Bool { bits & other.bits != 0 }
}

/// The methods a rules file names, with their bits; built with the rules, read on every request.
struct MethodTable: Sendable {
    static let standard = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]
    static let maximumCount = 63
    /// The bit of a request method that no rule names.
    static let unnamed = MethodSet(bits: 1 << 63)

    private(set) var names: [[UInt8]] = standard.map { Array($0.utf8) }

    /// The bit of `method`, adding it when new; nil when the table is full.
    mutating func bit(adding method: String) -> MethodSet? {
        let bytes = Array(method.utf8)
        if let index = names.firstIndex(of: bytes) { return MethodSet(bits: 1 << UInt64(index)) }
        guard names.count < Self.maximumCount else { return nil }
        names.append(bytes)
        return MethodSet(bits: 1 << UInt64(names.count - 1))
    }

    /// The bits of a request's method (case-sensitive, RFC 9110 §9.1): ``unnamed`` for a method no
    /// rule names. `HEAD` is also `GET` when `headIsGet`.
    func bits(of method: String, headIsGet: Bool) -> MethodSet {
        var method = method
        let index = method.withUTF8 { bytes in names.firstIndex { $0.elementsEqual(bytes) } }
        guard let index else { return Self.unnamed }
        var bits = UInt64(1) << UInt64(index)
        if headIsGet, index == 1 { bits |= 1 }
        return MethodSet(bits: bits)
    }

    /// An HTTP method token of upper-case letters (and `-`, `_`, digits), as rules must write it:
    /// methods are case-sensitive, so `get` would never match a request.
    static func isValid(_ method: String) -> Bool {
        !method.isEmpty && method.utf8.count <= 32 && method.utf8.allSatisfy {
            (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F
        }
    }
}
