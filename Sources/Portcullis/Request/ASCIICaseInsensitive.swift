extension StringProtocol {
    /// Header names and auth schemes compare ASCII case-insensitively (RFC 9110 §5.1, §11.1).
    /// Byte-wise, without allocating lowercased copies on the per-request path.
    public func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        let left = utf8
        let right = other.utf8
        guard left.count == right.count else { return false }
        return zip(left, right).allSatisfy { a, b in a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A) }
    }
}
