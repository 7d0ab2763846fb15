/// Compares two byte strings in time that depends only on their lengths (public: every hash of a
/// scheme has the same length), never on where they first differ.
///
/// Written by hand: swift-crypto compares its own digest types in constant time but offers no
/// public function for arbitrary bytes.
@inline(never)
func constantTimeEquals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for (left, right) in zip(lhs, rhs) { difference |= left ^ right }
    return difference == 0
}
