/// ASCII case-insensitive comparison, as header names and auth schemes compare (RFC 9110 §5.1,
/// §11.1): only A–Z and a–z fold; every other byte, non-ASCII included, must be equal.
/// Byte-wise, without allocating lowercased copies on the per-request path. The host's strings
/// and the SDK's byte views (`ByteView.equalsIgnoringASCIICase`) both compare with this.
public enum ASCIICaseInsensitive {
    @inlinable
    public static func equal(_ left: some Collection<UInt8>, _ right: some Collection<UInt8>) -> Bool {
        guard left.count == right.count else { return false }
        // Native strings' UTF-8 is contiguous: compare the buffers. callgrind on bench-host showed
        // the zip of two UTF8View iterators as the host's top symbol (5.6 % of all instructions,
        // every header name compared on every lookup).
        if let contiguous = left.withContiguousStorageIfAvailable({ l in
            right.withContiguousStorageIfAvailable { r in equal(buffer: l, r) }
        }), let result = contiguous {
            return result
        }
        return zip(left, right).allSatisfy(bytesEqual)
    }

    @inlinable
    static func equal(buffer left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<left.count where !bytesEqual(left[index], right[index]) { return false }
        return true
    }

    @inlinable
    static func bytesEqual(_ a: UInt8, _ b: UInt8) -> Bool {
        a == b || (a | 0x20 == b | 0x20 && (0x61...0x7A).contains(a | 0x20))
    }
}

extension StringProtocol {
    @inlinable
    public func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        ASCIICaseInsensitive.equal(utf8, other.utf8)
    }
}
