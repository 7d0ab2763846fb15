import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A decision's identity: 16 random bytes, written as 32 lowercase hex digits. The decision log
/// carries it and every answer sends it as `X-Auth-Decision-Id`, so an operator can find the log
/// line behind a client's complaint, and an upstream behind nginx the decision that let a request in.
///
/// Random rather than counted: an id a client sees must not tell it how many decisions were made
/// in between. The bytes come from the system's random source in batches (``RandomBatch``), since
/// a system call per decision costs microseconds on a virtual machine (measured: 3.5 µs for one
/// `arc4random_buf`, 8 µs for two `SystemRandomNumberGenerator` draws, against a decision that
/// takes about as long).
public struct DecisionID: Sendable, Hashable, CustomStringConvertible {
    let high: UInt64
    let low: UInt64

    /// A new, random id.
    public static func random() -> DecisionID {
        let (high, low) = RandomBatch.shared.next()
        return DecisionID(high: high, low: low)
    }

    /// 32 lowercase hex digits.
    public var description: String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            let digits: StaticString = "0123456789abcdef"
            digits.withUTF8Buffer { digits in
                for index in 0..<32 {
                    let word = index < 16 ? high : low
                    buffer[index] = digits[Int((word >> UInt64(60 - 4 * (index % 16))) & 0xF)]
                }
            }
            return 32
        }
    }
}

/// Random words drawn from the system 512 at a time (one `arc4random_buf` call: getrandom(2)
/// underneath, never failing), handed out under a lock held for a few nanoseconds.
final class RandomBatch: Sendable {
    static let shared = RandomBatch()

    private struct Words {
        var words = [UInt64](repeating: 0, count: 512)
        var next = 512
    }

    private let state = Mutex(Words())

    func next() -> (UInt64, UInt64) {
        state.withLock { state in
            if state.next + 2 > state.words.count {
                state.words.withUnsafeMutableBytes { bytes in
                    if let base = bytes.baseAddress { arc4random_buf(base, bytes.count) }
                }
                state.next = 0
            }
            defer { state.next += 2 }
            return (state.words[state.next], state.words[state.next + 1])
        }
    }
}
