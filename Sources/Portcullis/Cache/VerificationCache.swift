import Crypto
import PortcullisCrypto
import PortcullisNetwork
import PortcullisProtocol
import Synchronization

/// Remembers cacheable plugins' allows and denies for a short time, so a repeated Basic
/// credential does not run crypt or PAM again.
///
/// - One cache per ``Gatekeeper``: a reload builds a new gatekeeper and so starts empty.
/// - Allows live `positive_ttl`, denies `negative_ttl`; the plugin's hint (`cache_ttl`) can only
///   shorten that, and 0 means "never cache". Errors and ignores are never cached.
/// - Bounded: past `max_entries` the oldest insertions go first (FIFO: no bookkeeping on hits,
///   so a hit takes the lock once, briefly). Sharded to keep threads from queueing on one lock.
package final class VerificationCache: Sendable {
    package let settings: CacheSettings
    // SymmetricKey is an immutable value that swift-crypto has not marked Sendable; it is only read.
    nonisolated(unsafe) private let key: SymmetricKey
    /// The HMAC states after `key`'s blocks, made once and copied per key (see ``CacheKey``).
    nonisolated(unsafe) private let keyedState: PrekeyedHMAC<SHA256>
    private let shards: [ShardBox]
    private let now: @Sendable () -> ContinuousClock.Instant

    package init(settings: CacheSettings, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.settings = settings
        self.now = now
        let key = SymmetricKey(size: .bits256)
        self.key = key
        keyedState = PrekeyedHMAC<SHA256>(key: key)
        let count = settings.maxEntries >= 1024 ? 16 : 1
        let perShard = max(1, settings.maxEntries / count)
        shards = (0..<count).map { _ in ShardBox(Shard(capacity: perShard)) }
    }

    /// Hits and misses so far (for tests and `/metrics`).
    package var statistics: (hits: Int, misses: Int) {
        shards.reduce((0, 0)) { total, box in box.mutex.withLock { (total.0 + $0.hits, total.1 + $0.misses) } }
    }

    /// The number of live and expired-but-not-yet-evicted answers held.
    package var count: Int { shards.reduce(0) { $0 + $1.mutex.withLock { $0.entries.count } } }

    /// Positions held in the insertion orders (live, stale and consumed); for the bound test.
    var orderLength: Int { shards.reduce(0) { $0 + $1.mutex.withLock { $0.order.count - $0.head } } }

    func key(entry: String, generation: UInt64 = 0, credential: Credential, client: IPAddress?) -> CacheKey {
        CacheKey.make(state: keyedState, entry: entry, generation: generation, credential: credential, client: client)
    }

    /// The same key from a fresh HMAC state: for the test that the reused state changes nothing.
    func keyFromFreshState(entry: String, generation: UInt64 = 0, credential: Credential, client: IPAddress?) -> CacheKey {
        CacheKey.make(key: key, entry: entry, generation: generation, credential: credential, client: client)
    }

    func lookup(_ key: CacheKey, countingMiss: Bool = true) -> PluginAnswer? {
        let instant = now()
        // Counted under the shard's lock, already held, rather than under a second lock that
        // every lookup on every event loop shared.
        return shard(key).mutex.withLock { shard -> PluginAnswer? in
            guard let slot = shard.entries[key], slot.expires > instant else {
                shard.removeExpired(key, at: instant)
                if countingMiss { shard.misses += 1 }
                return nil
            }
            shard.hits += 1
            return slot.answer
        }
    }

    /// Keeps `answer` if its verdict and hints allow it.
    func store(_ key: CacheKey, _ answer: PluginAnswer) {
        guard let seconds = ttl(for: answer), seconds > 0 else { return }
        let expires = now() + .seconds(seconds)
        shard(key).mutex.withLock { $0.insert(key, Slot(answer: answer, expires: expires)) }
    }

    /// nil = not cacheable: errors, ignores, invalid verdicts, or a hint of 0.
    func ttl(for answer: PluginAnswer) -> Int? {
        let limit: Int
        switch StepResult(answer) {
        case .allow: limit = settings.positiveTTL
        case .deny where ReasonCode(abi: answer.rawReason) != nil: limit = settings.negativeTTL
        default: return nil
        }
        return answer.cacheTTL.map { min($0, limit) } ?? limit
    }

    private func shard(_ key: CacheKey) -> ShardBox {
        shards[Int(key.words.1 % UInt64(shards.count))]
    }

    final class ShardBox: Sendable {
        let mutex: Mutex<Shard>
        init(_ shard: Shard) { mutex = Mutex(shard) }
    }

    struct Slot: Sendable {
        var answer: PluginAnswer
        var expires: ContinuousClock.Instant
        var stamp = 0
    }

    /// A dictionary plus its insertion order. `order` may hold stale keys (replaced or expired
    /// entries); the stamp tells them apart, and the array is compacted as it drains.
    struct Shard: Sendable {
        let capacity: Int
        var entries: [CacheKey: Slot] = [:]
        var order: [(key: CacheKey, stamp: Int)] = []
        var head = 0
        var nextStamp = 0
        var hits = 0
        var misses = 0

        init(capacity: Int) { self.capacity = capacity }

        mutating func removeExpired(_ key: CacheKey, at instant: ContinuousClock.Instant) {
            if let slot = entries[key], slot.expires <= instant { entries[key] = nil }
        }

        mutating func insert(_ key: CacheKey, _ slot: Slot) {
            var slot = slot
            slot.stamp = nextStamp
            nextStamp += 1
            entries[key] = slot
            order.append((key, slot.stamp))
            while entries.count > capacity, head < order.count {
                let oldest = order[head]
                head += 1
                if entries[oldest.key]?.stamp == oldest.stamp { entries[oldest.key] = nil }
            }
            // Drop consumed and stale positions once they are most of the array, or once
            // re-inserted keys have piled up stale positions.
            if (head > 64 && head * 2 > order.count) || order.count - head > 2 * capacity + 64 {
                order = order[head...].filter { entries[$0.key]?.stamp == $0.stamp }
                head = 0
            }
        }
    }
}
