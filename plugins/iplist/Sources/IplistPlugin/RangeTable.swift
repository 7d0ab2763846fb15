/// One address family's lists flattened into sorted, disjoint ranges.
///
/// Prefixes are either nested or disjoint, so "the most specific prefix wins" (nginx `geo`)
/// partitions the address space into ranges that each carry one answer. The table keeps
/// each range's first address (`starts`, ascending, `starts[0] == 0`) and its answer
/// (`actions`, 0 = no entry). A lookup finds the last start ≤ the address.
///
/// Written by hand because no maintained Swift library offers a longest-prefix-match table.
/// A small direct index over the listed address range narrows the search to a few
/// neighbouring starts, so a lookup touches a fixed handful of cache lines however long the
/// lists are (a bit-by-bit trie would walk up to 128 dependent nodes instead).
struct RangeTable<Key: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable {
    /// One prefix as a range: `network...last`, `length` bits long.
    struct Entry {
        var network: Key
        var length: UInt8
        var action: ListAction
    }

    private let starts: [Key]
    private let actions: [UInt8]
    /// `index[b]` is the position of the first boundary whose bucket is ≥ `b`.
    private let index: [UInt32]
    /// A key's bucket is `(key - base) >> shift`, clamped to `0...lastBucket`.
    private let base: Key
    private let shift: Int
    private let lastBucket: Int

    /// The index never grows past 2^16 buckets (256 KiB): enough to keep the searched
    /// stretch within a cache line or two for a million prefixes.
    static var maxIndexBits: Int { 16 }

    /// Builds the table; `entries` may come in any order and repeat prefixes.
    init(_ entries: [Entry]) {
        var entries = entries
        entries.sort { ($0.network, $0.length) < ($1.network, $1.length) }

        var starts: [Key] = []
        var actions: [UInt8] = []
        starts.reserveCapacity(entries.count * 2 + 1)
        actions.reserveCapacity(entries.count * 2 + 1)

        /// Records that the answer from `start` on is `action`, merging equal neighbours.
        func emit(_ start: Key, _ action: UInt8) {
            if starts.last == start {
                starts.removeLast()
                actions.removeLast()
            }
            if actions.last == action { return }
            starts.append(start)
            actions.append(action)
        }

        // Sweep in address order, keeping the enclosing prefixes on a stack: when one ends,
        // the answer falls back to the prefix around it (or to "no entry").
        var open: [(last: Key, action: UInt8)] = []
        func close(before network: Key?) {
            while let top = open.last, network.map({ top.last < $0 }) ?? true {
                open.removeLast()
                if top.last != Key.max { emit(top.last + 1, open.last?.action ?? 0) }
            }
        }
        emit(0, 0)
        var previous: Entry?
        for entry in entries {
            // The same prefix listed twice: the stronger answer (deny) stands.
            if let previous, previous.network == entry.network, previous.length == entry.length {
                let strongest = max(open[open.count - 1].action, entry.action.rawValue)
                open[open.count - 1].action = strongest
                emit(entry.network, strongest)
                continue
            }
            close(before: entry.network)
            let hostMask = entry.length == 0 ? Key.max : (Key.max >> Int(entry.length))
            emit(entry.network, entry.action.rawValue)
            open.append((entry.network | hostMask, entry.action.rawValue))
            previous = entry
        }
        close(before: nil)

        // The index spreads the listed stretch (from the first start after 0 to the last start)
        // evenly over its buckets: IPv6 lists all live in a corner of the space (2000::/3),
        // and indexing the top bits would crowd them into a few buckets.
        let indexBits = min(Self.maxIndexBits, max(1, Int.bitWidth - starts.count.leadingZeroBitCount))
        let base = starts.count > 1 ? starts[1] : 0
        let span = (starts.last ?? 0) - base
        shift = max(0, (Key.bitWidth - span.leadingZeroBitCount) - indexBits)
        lastBucket = Int(truncatingIfNeeded: span >> shift)
        self.base = base
        var index = [UInt32](repeating: 0, count: lastBucket + 2)
        var position = 0
        for bucket in index.indices {
            while position < starts.count, Self.bucket(of: starts[position], base: base, shift: shift, last: lastBucket) < bucket {
                position += 1
            }
            index[bucket] = UInt32(position)
        }

        self.starts = starts
        self.actions = actions
        self.index = index
    }

    /// Which bucket `key` falls in: non-decreasing in `key`, which is all the search needs.
    @inline(__always)
    private static func bucket(of key: Key, base: Key, shift: Int, last: Int) -> Int {
        guard key > base else { return 0 }
        return min(Int(truncatingIfNeeded: min((key &- base) >> shift, Key(truncatingIfNeeded: last))), last)
    }

    /// The answer of the most specific prefix containing `key`, or nil when none does.
    func action(for key: Key) -> ListAction? {
        let bucket = Self.bucket(of: key, base: base, shift: shift, last: lastBucket)
        return index.withUnsafeBufferPointer { index in
            starts.withUnsafeBufferPointer { starts in
                actions.withUnsafeBufferPointer { actions in
                    // starts[low] ≤ key always holds: its bucket is below the key's, or it is the one at 0.
                    var low = max(Int(index[bucket]), 1) - 1
                    var count = Int(index[bucket + 1]) - low
                    // Halve long buckets (only crowded stretches have them; the comparison
                    // becomes a conditional move)…
                    while count > 16 {
                        let half = count >> 1
                        low = starts[low + half] <= key ? low + half : low
                        count -= half
                    }
                    // …then walk the rest, keeping the answer of the last start ≤ key. Unlike
                    // halving, these loads do not wait on each other's comparisons, so the
                    // bucket's cache lines (starts and answers) arrive together: a lookup waits
                    // on memory about twice (index, bucket) rather than once per step.
                    var found = actions[low]
                    for offset in 1..<max(count, 1) {
                        found = starts[low + offset] <= key ? actions[low + offset] : found
                    }
                    return ListAction(rawValue: found)
                }
            }
        }
    }

    /// Number of disjoint ranges (including the unlisted gaps).
    var rangeCount: Int { starts.count }

    /// Bytes held by the table's arrays.
    var byteCount: Int {
        starts.count * MemoryLayout<Key>.stride + actions.count + index.count * MemoryLayout<UInt32>.stride
    }
}
