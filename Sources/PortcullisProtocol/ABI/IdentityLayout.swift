package import CPortcullisPlugin

/// The identity established so far in a stack (ABI 1.1), laid out for the plugins: the principal
/// and the attribute pairs in one block the layout owns, valid until it is laid out again or
/// the layout goes away. A stack lays it out only when the identity changes, so an entry that
/// follows no allow costs nothing.
package struct IdentityLayout: ~Copyable {
    private var block: UnsafeMutableRawPointer?

    package init() {}

    deinit { block?.deallocate() }

    /// Writes `principal` and `attributes` into `request`'s 1.1 fields.
    package mutating func lay(principal: String?, attributes: [Attribute], into request: UnsafeMutablePointer<pc_request>) {
        block?.deallocate()
        block = nil
        let principal = principal ?? ""
        let strings = [principal] + attributes.flatMap { [$0.name, $0.value] }
        let pairBytes = MemoryLayout<pc_pair>.stride * attributes.count
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(1, pairBytes + strings.reduce(0) { $0 + $1.utf8.count }), alignment: MemoryLayout<pc_pair>.alignment)
        block = raw
        var cursor = raw + pairBytes
        let views = strings.map { string -> pc_str in
            let count = string.utf8.count
            UnsafeMutableRawBufferPointer(start: cursor, count: count).copyBytes(from: string.utf8)
            defer { cursor += count }
            return count == 0 ? CArena.emptyView : pc_str(data: cursor.assumingMemoryBound(to: CChar.self), length: count)
        }
        let pairs = raw.bindMemory(to: pc_pair.self, capacity: attributes.count)
        for index in attributes.indices {
            (pairs + index).initialize(to: pc_pair(name: views[1 + 2 * index], value: views[2 + 2 * index]))
        }
        request.pointee.principal = views[0]
        request.pointee.attributes = attributes.isEmpty ? nil : UnsafePointer(pairs)
        request.pointee.attribute_count = attributes.count
    }
}
