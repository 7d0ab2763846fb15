package import Logging
import Synchronization

/// The host's store for state plugins share (``StoreMirror`` in memory, a ``StoreBackend``
/// behind it), one per process: a reload keeps it, so no count is lost on SIGHUP.
///
/// Requests only read and write the local mirror, under one lock, and never wait on the backend.
/// Counts reach the backend in the background (``run()``), coalesced; its answers (the fleet's
/// counts) and its change stream (locks set by other daemons) come back into the mirror.
///
/// When the backend is down — a call throws or takes longer than `[store] timeout` — lockout
/// fails soft by design: the mirror keeps counting and enforcing what this process sees, unsent
/// counts are kept and pushed on reconnect, and the state change is logged once each way. Failing
/// closed would let anyone who can break the database lock every user out; failing open would
/// stop counting. Local enforcement keeps one daemon's limit exact meanwhile.
package final class SharedStore: Sendable {
    package let configuration: StoreConfiguration
    package let backend: any StoreBackend
    private let mirror: Mutex<StoreMirror>
    private let logger: Logger
    private let now: @Sendable () -> WallTime
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let up = Atomic<Bool>(true)

    package init(configuration: StoreConfiguration, backend: any StoreBackend, logger: Logger,
                 now: @escaping @Sendable () -> WallTime = WallTime.now) {
        self.configuration = configuration
        self.backend = backend
        self.logger = logger
        self.now = now
        mirror = Mutex(StoreMirror(maxKeys: configuration.maxKeys))
        // One pending wake is enough: the sync takes everything pending each time it runs.
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A store for `configuration`, its backend made by `makeBackend`.
    package convenience init(configuration: StoreConfiguration, makeBackend: StoreBackendFactory, logger: Logger) throws {
        try self.init(configuration: configuration, backend: makeBackend(configuration), logger: logger)
    }

    /// Whether the last call to the backend worked (`portcullis_store_up`).
    package var isBackendUp: Bool { up.load(ordering: .relaxed) }

    private let stateObservers = Mutex<[@Sendable (Bool) -> Void]>([])

    /// Calls `observer` with the backend's state now and at each change (the daemon's gauge).
    package func observeBackendState(_ observer: @escaping @Sendable (Bool) -> Void) {
        stateObservers.withLock { $0.append(observer) }
        observer(isBackendUp)
    }

    /// How many counters and flags the mirror holds (expired ones included until pruned).
    package var sizes: (counters: Int, flags: Int) { mirror.withLock { ($0.counters.count, $0.flags.count) } }

    // MARK: - Host services (ABI 1.2 store_hit, store_flagged, store_clear): never wait

    package func hit(_ key: StoreKey, window: Duration, limit: Int64, flagFor: Duration) -> Int64 {
        let now = now()
        let (count, events) = mirror.withLock { mirror in
            (mirror.hit(key, now: now, window: window, limit: limit, flagFor: flagFor), mirror.takeEvents())
        }
        wake.yield()
        log(events)
        return count
    }

    package func flagged(_ key: StoreKey) -> Int64 {
        let now = now()
        return mirror.withLock { $0.flagged(key, now: now) }
    }

    package func clear(_ key: StoreKey) {
        if mirror.withLock({ $0.clear(key) }) { wake.yield() }
    }

    /// ``flagged(_:)`` for a key given as bytes (the ABI's): when nothing is flagged, as almost
    /// always, it answers without making the key or reading the clock.
    package func flagged(namespace: String, utf8 key: UnsafeRawBufferPointer) -> Int64 {
        mirror.withLock { mirror in
            guard mirror.hasFlags, mirror.mayBeFlagged(namespace: namespace, key: key) else { return 0 }
            return mirror.flagged(StoreKey(namespace: namespace, key: String(decoding: key, as: UTF8.self)), now: now())
        }
    }

    /// ``clear(_:)`` for a key given as bytes: nothing to do (an allow with no failures before it,
    /// the usual case) costs one lock and no key.
    package func clear(namespace: String, utf8 key: UnsafeRawBufferPointer) {
        let cleared = mirror.withLock { mirror in
            mirror.hasCounters && mirror.clear(StoreKey(namespace: namespace, key: String(decoding: key, as: UTF8.self)))
        }
        if cleared { wake.yield() }
    }

    /// The backend's ``StoreBackend/staleness`` in milliseconds, for the ABI's
    /// `store_staleness_ms`: 0 in sync, `UInt64.max` before the first sync.
    package var stalenessMilliseconds: UInt64 {
        guard let staleness = backend.staleness else { return .max }
        let (seconds, attoseconds) = staleness.components
        return UInt64(clamping: max(0, seconds) * 1000 + max(0, attoseconds) / 1_000_000_000_000_000)
    }

    // MARK: - Operators (the admin socket)

    /// Flags `key` until `expiry` here at once and in the backend (every daemon learns it through
    /// its change stream): an operator's revocation. Whether the backend took it; when it did
    /// not, the flag stays pending and is pushed when the backend is back.
    package func setFlag(_ key: StoreKey, until expiry: WallTime) async -> Bool {
        let now = now()
        log(mirror.withLock { mirror in
            mirror.setByOperator(key, until: expiry, now: now)
            return mirror.takeEvents()
        })
        let backend = self.backend
        if await call({ try await backend.setFlag(key.backendKey, until: expiry) }) != nil { return true }
        mirror.withLock { $0.sendLater(key, until: expiry) }
        wake.yield()
        return false
    }

    package struct Entry: Sendable, Equatable {
        package var key: StoreKey
        package var count: Int64
        /// Milliseconds left on the key's flag; 0 when not flagged.
        package var flaggedFor: Int64
    }

    /// The counters and flags of `namespace`: this process's, merged with the backend's when it
    /// answers within the timeout (`backendAnswered` false otherwise).
    package func entries(namespace: String) async -> (entries: [Entry], backendAnswered: Bool) {
        let now = now()
        var merged = mirror.withLock { $0.entries(namespace: namespace, now: now) }
        let prefix = namespace + "/"
        let backend = self.backend
        let remote = await call { (try await backend.counters(prefix: prefix), try await backend.flags(prefix: prefix)) }
        if let remote {
            let (counters, flags) = remote
            for counter in counters where counter.expiry > now {
                guard let key = StoreKey(backendKey: counter.key) else { continue }
                merged[key, default: (0, nil)].count = max(merged[key]?.count ?? 0, counter.count)
            }
            for flag in flags where flag.expiry > now {
                guard let key = StoreKey(backendKey: flag.key) else { continue }
                merged[key, default: (0, nil)].flaggedUntil = max(merged[key]?.flaggedUntil ?? flag.expiry, flag.expiry)
            }
        }
        let entries = merged.map { key, value in
            Entry(key: key, count: value.count, flaggedFor: value.flaggedUntil.map { max(0, $0.milliseconds - now.milliseconds) } ?? 0)
        }
        return (entries.sorted { $0.key < $1.key }, remote != nil)
    }

    /// Removes the counts and flags of `keys` here and in the backend (so every daemon drops them
    /// through its change stream). Returns what was removed here, and whether the backend took it:
    /// when it is down the other daemons keep their locks until it is back and this is repeated.
    package func reset(_ keys: [StoreKey]) async -> (removed: [Entry], backendAnswered: Bool) {
        let removed = mirror.withLock { mirror in
            keys.map { key in
                let (count, flagged) = mirror.reset(key)
                return Entry(key: key, count: count, flaggedFor: flagged ? 1 : 0)
            }
        }
        let backend = self.backend
        // The fleet's counts, read as they go: what the operator cleared is what every daemon had.
        let fleet = await call { () async throws -> [StoreKey: Int64] in
            var counts: [StoreKey: Int64] = [:]
            for key in keys {
                counts[key] = try await backend.counter(key.backendKey)?.count
                try await backend.removeCounter(key.backendKey)
                try await backend.removeFlag(key.backendKey)
            }
            return counts
        }
        let merged = removed.map { entry in
            var entry = entry
            entry.count = max(entry.count, fleet?[entry.key] ?? 0)
            return entry
        }
        return (merged, fleet != nil)
    }

    // MARK: - The backend, in the background

    /// Runs the backend, applies its changes to the mirror and pushes what is pending, until
    /// cancelled. Without it the mirror still counts and enforces, for this process.
    package func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [backend, logger] in
                do {
                    try await backend.run()
                } catch is CancellationError {
                } catch {
                    logger.error("shared store: the backend stopped", metadata: ["error": "\(LogText.escaped("\(error)"))"])
                }
            }
            group.addTask { [backend] in
                for await change in backend.changes {
                    let now = self.now()
                    self.log(self.mirror.withLock { mirror in
                        mirror.apply(change, now: now)
                        return mirror.takeEvents()
                    })
                }
            }
            group.addTask { await self.sync() }
            await group.waitForAll()
        }
    }

    /// Pushes pending clears, counts and flags each time there are some; when the backend fails,
    /// keeps them and tries again every `retry_interval`.
    private func sync() async {
        // Counted before this started (or while the backend was down at start) goes first.
        wake.yield()
        for await _ in wakes {
            while !Task.isCancelled {
                let pending = mirror.withLock { $0.takePending() }
                if pending.isEmpty { break }
                if let unsent = await push(pending) {
                    let now = now()
                    mirror.withLock { $0.restore(unsent, now: now) }
                    setUp(false, pending: unsent.count)
                    try? await Task.sleep(for: configuration.retryInterval)
                } else {
                    setUp(true, pending: pending.count)
                }
            }
            if Task.isCancelled { return }
        }
    }

    /// Sends `pending` in order (clears, then counts, then flags); nil when all of it went, else
    /// what did not.
    private func push(_ pending: StoreMirror.Pending) async -> StoreMirror.Pending? {
        var left = pending
        let backend = self.backend
        while let key = left.clears.first {
            guard await call({ try await backend.removeCounter(key.backendKey) }) != nil else { return left }
            left.clears.removeFirst()
        }
        while let increment = left.increments.first {
            guard let counter = await call({ try await backend.increment(increment.key.backendKey, by: increment.amount, window: increment.window) })
            else { return left }
            left.increments.removeFirst()
            let now = now()
            log(mirror.withLock { mirror in
                mirror.merge(increment.key, epoch: increment.epoch, fleetCount: counter.count, now: now)
                return mirror.takeEvents()
            })
        }
        while let flag = left.flags.first {
            guard await call({ try await backend.setFlag(flag.key.backendKey, until: flag.expiry) }) != nil else { return left }
            left.flags.removeFirst()
        }
        return nil
    }

    /// One backend call within `[store] timeout`; nil when it failed or took too long.
    private func call<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async -> T? {
        let result = await Deadline.race(configuration.timeout) { () async -> Result<T, any Error> in
            do { return .success(try await work()) } catch { return .failure(error) }
        }
        switch result {
        case .success(let value)?: return value
        case .failure(let error)?:
            if up.load(ordering: .relaxed) { lastError.withLock { $0 = "\(error)" } }
            return nil
        case nil:
            if up.load(ordering: .relaxed) { lastError.withLock { $0 = "no answer within \(configuration.timeout)" } }
            return nil
        }
    }

    private let lastError = Mutex("")

    /// Logs a change of the backend's state once, each way.
    private func setUp(_ value: Bool, pending: Int) {
        guard up.exchange(value, ordering: .relaxed) != value else { return }
        for observer in stateObservers.withLock({ $0 }) { observer(value) }
        if value {
            logger.notice("shared store reachable again; pending counts pushed", metadata: [
                "backend": "\(configuration.backend.rawValue)", "pushed": "\(pending)",
            ])
        } else {
            logger.error("shared store unreachable; lockout keeps counting and enforcing in this process", metadata: [
                "backend": "\(configuration.backend.rawValue)", "error": "\(LogText.escaped(lastError.withLock { $0 }))",
                "pending": "\(pending)", "retry_interval": "\(configuration.retryInterval)",
            ])
        }
    }

    private func log(_ events: [StoreMirror.Event]) {
        for event in events {
            switch event {
            case .lockedByFleet(let key, let count, let until):
                logger.notice("lock set by the shared store (counted across daemons)", metadata: [
                    "plugin": "\(key.namespace)", "key": "\(LogText.escaped(key.key))", "count": "\(count)",
                    "seconds": "\(max(0, (until.milliseconds - now().milliseconds + 999) / 1000))",
                ])
            case .full(true):
                logger.warning("shared store: max_keys counters reached; the lowest counts are dropped for new keys",
                               metadata: ["max_keys": "\(configuration.maxKeys)"])
            case .full(false):
                logger.notice("shared store: below max_keys again", metadata: ["max_keys": "\(configuration.maxKeys)"])
            case .saturated(let namespace, let until):
                logger.critical("shared store: max_keys flags reached; every key of the plugin reads as flagged until these expire", metadata: [
                    "plugin": "\(namespace)", "max_keys": "\(configuration.maxKeys)",
                    "seconds": "\(max(0, (until.milliseconds - now().milliseconds) / 1000))",
                ])
            }
        }
    }
}
