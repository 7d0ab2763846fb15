import Synchronization

/// `[store] backend = "memory"`: the backend contract in this process's memory. Nothing to
/// install and nothing shared: each daemon counts alone. Also the reference the PostgreSQL
/// backend's behaviour is compared with, and (two ``SharedStore``s on one instance) how the tests
/// stand for two daemons on one database: each reader of ``changes`` gets every change.
package final class MemoryStoreBackend: StoreBackend {
    private struct State {
        var counters: [String: StoreCounter] = [:]
        var flags: [String: StoreFlag] = [:]
        var pruneAt = 1024
        var listeners: [Int: AsyncStream<StoreChange>.Continuation] = [:]
        var nextListener = 0
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> WallTime

    /// `now` is the wall clock (tests move it).
    package init(now: @escaping @Sendable () -> WallTime = WallTime.now) {
        self.now = now
    }

    /// A new stream of every change from now on. A reader that falls behind loses the oldest
    /// changes, never this process's memory.
    package var changes: AsyncStream<StoreChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: StoreChange.self, bufferingPolicy: .bufferingNewest(10_000))
        let id = state.withLock { state in
            defer { state.nextListener += 1 }
            state.listeners[state.nextListener] = continuation
            return state.nextListener
        }
        continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.listeners.removeValue(forKey: id) } }
        return stream
    }

    private func publish(_ change: StoreChange) {
        for listener in state.withLock({ Array($0.listeners.values) }) { listener.yield(change) }
    }

    package func increment(_ key: String, by amount: Int64, window: Duration) async throws -> StoreCounter {
        let now = now()
        return state.withLock { state in
            var counter = state.counters[key].flatMap { $0.expiry > now ? $0 : nil } ?? StoreCounter(key: key, count: 0, expiry: now)
            counter.count += amount
            counter.expiry = now.adding(window)
            state.counters[key] = counter
            // Expired counters go in a sweep whenever the table doubles: bounded by the live ones.
            if state.counters.count >= state.pruneAt {
                state.counters = state.counters.filter { $0.value.expiry > now }
                state.pruneAt = max(1024, state.counters.count * 2)
            }
            return counter
        }
    }

    package func counter(_ key: String) async throws -> StoreCounter? {
        let now = now()
        return state.withLock { $0.counters[key].flatMap { $0.expiry > now ? $0 : nil } }
    }

    package func counters(prefix: String) async throws -> [StoreCounter] {
        let now = now()
        return state.withLock { state in
            state.counters = state.counters.filter { $0.value.expiry > now }
            return state.counters.values.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }
        }
    }

    package func removeCounter(_ key: String) async throws {
        state.withLock { _ = $0.counters.removeValue(forKey: key) }
        publish(.counterRemoved(key: key))
    }

    package func setFlag(_ key: String, until expiry: WallTime) async throws {
        let flag = StoreFlag(key: key, expiry: expiry)
        state.withLock { $0.flags[key] = flag }
        publish(.flagSet(flag))
    }

    package func flags(prefix: String) async throws -> [StoreFlag] {
        let now = now()
        return state.withLock { state in
            state.flags = state.flags.filter { $0.value.expiry > now }
            return state.flags.values.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }
        }
    }

    package func removeFlag(_ key: String) async throws {
        state.withLock { _ = $0.flags.removeValue(forKey: key) }
        publish(.flagRemoved(key: key))
    }

    /// Every change is made in this process and seen at once: never stale.
    package var staleness: Duration? { .zero }

    /// Nothing to connect: waits until cancelled.
    package func run() async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}
