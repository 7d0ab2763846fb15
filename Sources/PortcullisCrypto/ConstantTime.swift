/// Compares two byte strings in time that depends only on their lengths (public: every hash of a
/// scheme and every MAC of an algorithm has the same length), never on where they first differ.
///
/// Written by hand: swift-crypto compares its own digest types in constant time but offers no
/// public function for arbitrary bytes. `@inlinable` so each caller gets a copy specialized for
/// its collections (a generic called across modules otherwise goes through the runtime's
/// metadata); `@inline(never)` so that copy stays a call, and no caller's optimizer folds the
/// loop into the code around it where it could learn to stop early.
@inlinable @inline(never)
package func constantTimeEquals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for (left, right) in zip(lhs, rhs) { difference |= left ^ right }
    return difference == 0
}
