/// The local copy of the shared store that every request reads: counters and flags with their
/// expiries, and what has not reached the backend yet. A value type, kept under one lock by
/// ``SharedStore``, so each operation is exact under any concurrency.
///
/// Bounded: at most `maxKeys` counters and `maxKeys` flags. When a new counter would pass the
/// cap, expired entries are pruned; if none expired, the counter with the lowest count of a few
/// sampled is dropped (a key with one failure loses it; a key close to its limit is unlikely to be
/// the lowest). Flags are never dropped before they expire — dropping one would unlock a key —
/// so when the flags are at the cap a new lock saturates its namespace: every key of that plugin
/// reads as flagged until the lock would have expired (fail closed; logged).
struct StoreMirror {
    struct Counter {
        var count: Int64
        var expiry: WallTime
        /// Events counted here that the backend has not acknowledged.
        var unsent: Int64
        var window: Duration
        var limit: Int64
        var flagFor: Duration
        /// Tells this counter from one made after a clear, so a late backend answer for the old
        /// one is not merged into the new one.
        var epoch: UInt64
    }

    /// What to send to the backend, taken in one go; put back whole or in part when it fails.
    struct Pending {
        var clears: [StoreKey] = []
        var increments: [(key: StoreKey, amount: Int64, window: Duration, epoch: UInt64)] = []
        var flags: [(key: StoreKey, expiry: WallTime)] = []
        var isEmpty: Bool { clears.isEmpty && increments.isEmpty && flags.isEmpty }
        var count: Int { clears.count + increments.count + flags.count }
    }

    /// A lock set on the word of the backend (another daemon's count or lock), or a change in
    /// whether the table is full: for the store to log.
    enum Event: Equatable, Sendable {
        case lockedByFleet(StoreKey, count: Int64, until: WallTime)
        case full(Bool)
        case saturated(namespace: String, until: WallTime)
    }

    let maxKeys: Int
    private(set) var counters: [StoreKey: Counter] = [:]
    private(set) var flags = FlagTable()
    private var saturatedUntil: [String: WallTime] = [:]
    private var dirty: Set<StoreKey> = []
    private var flagsToSend: [StoreKey: WallTime] = [:]
    private var clearsToSend: Set<StoreKey> = []
    private var nextEpoch: UInt64 = 1
    private var full = false
    /// Pruning scans the table: at most once a second, so a flood of new keys costs no scan each.
    private var nextPrune = WallTime(milliseconds: 0)
    private(set) var events: [Event] = []

    init(maxKeys: Int) {
        self.maxKeys = max(1, maxKeys)
    }

    mutating func takeEvents() -> [Event] {
        defer { events.removeAll() }
        return events
    }

    // MARK: - The host services

    /// Counts one event for `key` and returns its count; flags the key when the count reaches
    /// `limit` (0 = never).
    mutating func hit(_ key: StoreKey, now: WallTime, window: Duration, limit: Int64, flagFor: Duration) -> Int64 {
        var counter: Counter
        if let existing = counters[key], existing.expiry > now {
            counter = existing
            counter.count += 1
            counter.unsent += 1
        } else {
            if counters[key] == nil { makeRoom(now: now) }
            counter = Counter(count: 1, expiry: now, unsent: 1, window: window, limit: limit, flagFor: flagFor, epoch: nextEpoch)
            nextEpoch += 1
        }
        counter.expiry = now.adding(window)
        (counter.window, counter.limit, counter.flagFor) = (window, limit, flagFor)
        counters[key] = counter
        dirty.insert(key)
        lockIfOverLimit(key, counter, now: now)
        return counter.count
    }

    /// Milliseconds until `key`'s flag expires; 0 when it is not flagged.
    mutating func flagged(_ key: StoreKey, now: WallTime) -> Int64 {
        if flags.isEmpty, saturatedUntil.isEmpty { return 0 }
        var left: Int64 = 0
        if let expiry = flags[key] {
            if expiry > now { left = expiry.milliseconds - now.milliseconds } else { flags[key] = nil }
        }
        if let until = saturatedUntil[key.namespace] {
            if until > now { left = max(left, until.milliseconds - now.milliseconds) } else { saturatedUntil[key.namespace] = nil }
        }
        return left
    }

    var hasFlags: Bool { !flags.isEmpty || !saturatedUntil.isEmpty }

    /// Whether a flag may exist for this key given as bytes: false answers "not flagged" without
    /// making the key (see ``FlagTable``).
    func mayBeFlagged(namespace: String, key: UnsafeRawBufferPointer) -> Bool {
        !saturatedUntil.isEmpty || flags.mayContain(namespace: namespace, key: key)
    }
    var hasCounters: Bool { !counters.isEmpty }

    /// Forgets `key`'s count here and, once sent, in the backend. Its flag stays. Whether there was one.
    @discardableResult
    mutating func clear(_ key: StoreKey) -> Bool {
        guard counters.removeValue(forKey: key) != nil else { return false }
        dirty.remove(key)
        clearsToSend.insert(key)
        return true
    }

    // MARK: - Operators

    /// Removes `key`'s count and flag here (the backend is the caller's business).
    mutating func reset(_ key: StoreKey) -> (count: Int64, flagged: Bool) {
        let counter = counters.removeValue(forKey: key)
        dirty.remove(key)
        clearsToSend.remove(key)
        flagsToSend[key] = nil
        let flag = flags.removeValue(forKey: key)
        return (counter?.count ?? 0, flag != nil)
    }

    /// Flags `key` until `expiry` (an operator's flag, sent by the caller); a later expiry known
    /// here is kept.
    mutating func setByOperator(_ key: StoreKey, until expiry: WallTime, now: WallTime) {
        guard expiry > now, (flags[key] ?? now) < expiry else { return }
        setFlag(key, until: expiry, now: now)
    }

    /// Queues `key`'s flag for the backend (its first sending failed).
    mutating func sendLater(_ key: StoreKey, until expiry: WallTime) {
        flagsToSend[key] = max(flagsToSend[key] ?? expiry, expiry)
    }

    /// Counters and flags of `namespace` that have not expired.
    func entries(namespace: String, now: WallTime) -> [StoreKey: (count: Int64, flaggedUntil: WallTime?)] {
        var result: [StoreKey: (count: Int64, flaggedUntil: WallTime?)] = [:]
        for (key, counter) in counters where key.namespace == namespace && counter.expiry > now {
            result[key] = (counter.count, nil)
        }
        for (key, expiry) in flags.expiries where key.namespace == namespace && expiry > now {
            result[key, default: (0, nil)].flaggedUntil = expiry
        }
        return result
    }

    // MARK: - The backend

    /// Everything not yet sent, marked as sent.
    mutating func takePending() -> Pending {
        var pending = Pending()
        pending.clears = Array(clearsToSend)
        clearsToSend.removeAll()
        for key in dirty {
            guard var counter = counters[key], counter.unsent > 0 else { continue }
            pending.increments.append((key, counter.unsent, counter.window, counter.epoch))
            counter.unsent = 0
            counters[key] = counter
        }
        dirty.removeAll()
        pending.flags = flagsToSend.map { ($0.key, $0.value) }
        flagsToSend.removeAll()
        return pending
    }

    /// Puts back what could not be sent, so it goes with the next attempt.
    mutating func restore(_ pending: Pending, now: WallTime) {
        clearsToSend.formUnion(pending.clears)
        for increment in pending.increments {
            guard var counter = counters[increment.key], counter.epoch == increment.epoch else { continue }
            counter.unsent += increment.amount
            counters[increment.key] = counter
            dirty.insert(increment.key)
        }
        for flag in pending.flags where flag.expiry > now && flags[flag.key] != nil {
            flagsToSend[flag.key] = flag.expiry
        }
    }

    /// The backend's count for `key` after one of our increments: the fleet's. Ours counts too,
    /// with what was counted here since.
    mutating func merge(_ key: StoreKey, epoch: UInt64, fleetCount: Int64, now: WallTime) {
        guard var counter = counters[key], counter.epoch == epoch, fleetCount + counter.unsent > counter.count else { return }
        counter.count = fleetCount + counter.unsent
        counters[key] = counter
        if lockIfOverLimit(key, counter, now: now) {
            events.append(.lockedByFleet(key, count: counter.count, until: flags[key] ?? now))
        }
    }

    /// A change another process (or this one) made through the backend.
    mutating func apply(_ change: StoreChange, now: WallTime) {
        switch change {
        case .flagSet(let flag):
            guard let key = StoreKey(backendKey: flag.key), flag.expiry > now else { return }
            if let known = flags[key], known >= flag.expiry { return }
            let wasFlagged = flags[key].map { $0 > now } ?? false
            guard setFlag(key, until: flag.expiry, now: now) else { return }
            if !wasFlagged { events.append(.lockedByFleet(key, count: counters[key]?.count ?? 0, until: flag.expiry)) }
        case .flagRemoved(let backendKey):
            guard let key = StoreKey(backendKey: backendKey) else { return }
            flags[key] = nil
            flagsToSend[key] = nil
        case .counterRemoved(let backendKey):
            guard let key = StoreKey(backendKey: backendKey) else { return }
            counters[key] = nil
            dirty.remove(key)
        }
    }

    // MARK: - Limits

    /// Flags `key` if its count reached its limit and it is not flagged; whether it did.
    @discardableResult
    private mutating func lockIfOverLimit(_ key: StoreKey, _ counter: Counter, now: WallTime) -> Bool {
        guard counter.limit > 0, counter.count >= counter.limit, (flags[key] ?? now) <= now else { return false }
        let until = now.adding(counter.flagFor)
        guard setFlag(key, until: until, now: now) else { return true }
        flagsToSend[key] = until
        return true
    }

    /// Sets a flag, or saturates the namespace when the flags are at the cap; false when saturated.
    @discardableResult
    private mutating func setFlag(_ key: StoreKey, until: WallTime, now: WallTime) -> Bool {
        if flags[key] == nil, flags.count >= maxKeys {
            flags.removeExpired(now: now)
            if flags.count >= maxKeys {
                if (saturatedUntil[key.namespace] ?? now) <= now { events.append(.saturated(namespace: key.namespace, until: until)) }
                saturatedUntil[key.namespace] = max(saturatedUntil[key.namespace] ?? until, until)
                return false
            }
        }
        flags[key] = until
        return true
    }

    /// Before a new counter: at the cap, prune what expired, else drop a low counter.
    private mutating func makeRoom(now: WallTime) {
        guard counters.count >= maxKeys else {
            if full, counters.count < maxKeys * 9 / 10 { setFull(false) }
            return
        }
        if now >= nextPrune {
            nextPrune = now.adding(.seconds(1))
            counters = counters.filter { $0.value.expiry > now }
            dirty = dirty.filter { counters[$0] != nil }
            guard counters.count >= maxKeys else { return }
        }
        setFull(true)
        // Iteration order is arbitrary (hash order), so the sample is not the attacker's choice.
        if let victim = counters.prefix(16).min(by: { $0.value.count < $1.value.count })?.key {
            counters[victim] = nil
            dirty.remove(victim)
        }
    }

    private mutating func setFull(_ value: Bool) {
        guard full != value else { return }
        full = value
        events.append(.full(value))
    }
}
