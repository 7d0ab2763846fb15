import Foundation
import Logging
import PortcullisTestSupport
import Synchronization
import XCTest

@testable import Portcullis

private let key = StoreKey(namespace: "faillock", key: "u/192.0.2.1/alice")
private let window = Duration.seconds(900)
private let lock = Duration.seconds(600)

/// The host's shared store: the local mirror (exact under concurrency, bounded), its sync with a
/// backend, and what it does when the backend is down. Two stores on one `MemoryStoreBackend`
/// stand for two daemons on one database.
final class SharedStoreTests: XCTestCase {
    /// A wall clock the test moves.
    final class Clock: Sendable {
        private let time = Mutex(WallTime(milliseconds: 1_700_000_000_000))
        var now: WallTime { time.withLock { $0 } }
        func advance(_ duration: Duration) { time.withLock { $0 = $0.adding(duration) } }
        var function: @Sendable () -> WallTime { { self.now } }
    }

    /// The memory backend with a switch that makes every call fail, as a database that is down.
    final class SwitchableBackend: StoreBackend {
        let inner: MemoryStoreBackend
        let down = Synchronization.Atomic<Bool>(false)
        init(_ inner: MemoryStoreBackend) { self.inner = inner }

        private func check() throws { if down.load(ordering: .relaxed) { throw CancellationError() } }
        func increment(_ key: String, by amount: Int64, window: Duration) async throws -> StoreCounter {
            try check()
            return try await inner.increment(key, by: amount, window: window)
        }
        func counter(_ key: String) async throws -> StoreCounter? { try check(); return try await inner.counter(key) }
        func counters(prefix: String) async throws -> [StoreCounter] { try check(); return try await inner.counters(prefix: prefix) }
        func removeCounter(_ key: String) async throws { try check(); try await inner.removeCounter(key) }
        func setFlag(_ key: String, until expiry: WallTime) async throws { try check(); try await inner.setFlag(key, until: expiry) }
        func flags(prefix: String) async throws -> [StoreFlag] { try check(); return try await inner.flags(prefix: prefix) }
        func removeFlag(_ key: String) async throws { try check(); try await inner.removeFlag(key) }
        var changes: AsyncStream<StoreChange> { inner.changes }
        func run() async throws { try await inner.run() }
        var staleness: Duration? { .zero }
    }


    /// One wall clock for the stores and their backend, as daemons and a database agree on time.
    let clock = Clock()

    func store(_ backend: (any StoreBackend)? = nil, maxKeys: Int = 100_000,
               log: CapturedLog = CapturedLog()) -> SharedStore {
        var configuration = StoreConfiguration()
        configuration.maxKeys = maxKeys
        configuration.timeout = .milliseconds(200)
        configuration.retryInterval = .milliseconds(20)
        return SharedStore(configuration: configuration, backend: backend ?? MemoryStoreBackend(now: clock.function),
                           logger: log.logger, now: clock.function)
    }

    func testHitsAreExactUnderConcurrencyAndFlagAtTheLimit() {
        let store = store()
        let counts = Mutex<[Int64]>([])
        DispatchQueue.concurrentPerform(iterations: 50) { _ in
            let count = store.hit(key, window: window, limit: 5, flagFor: lock)
            counts.withLock { $0.append(count) }
        }
        XCTAssertEqual(counts.withLock { $0.sorted() }, Array(1...50), "every hit counted once, each count returned once")
        XCTAssertEqual(store.flagged(key), lock.milliseconds)
        XCTAssertEqual(store.flagged(StoreKey(namespace: "other", key: key.key)), 0, "namespaces are apart")
    }

    /// The lookup by bytes (what a request does) agrees with the table through lock, expiry,
    /// reset and a flag from the backend, also with other keys flagged.
    func testLookupByBytesAgreesWithTheTable() async {
        let store = store()
        func flagged(_ key: StoreKey) -> Int64 {
            var text = key.key
            return text.withUTF8 { store.flagged(namespace: key.namespace, utf8: UnsafeRawBufferPointer($0)) }
        }
        let other = StoreKey(namespace: "faillock", key: "a/198.51.100.1")
        _ = store.hit(other, window: window, limit: 1, flagFor: .seconds(10))
        XCTAssertEqual(flagged(key), 0)
        XCTAssertEqual(flagged(StoreKey(namespace: "other", key: other.key)), 0, "the namespace is part of the digest")
        for _ in 0..<5 { _ = store.hit(key, window: window, limit: 5, flagFor: lock) }
        XCTAssertEqual(flagged(key), lock.milliseconds)
        XCTAssertEqual(flagged(other), 10_000)
        clock.advance(.seconds(10))
        XCTAssertEqual(flagged(other), 0, "expired")
        XCTAssertEqual(flagged(key), lock.milliseconds - 10_000)
        _ = await store.reset([key])
        XCTAssertEqual(flagged(key), 0, "reset")
        XCTAssertEqual(store.sizes.flags, 0)
    }

    func testCountsAndFlagsExpire() {
        let store = store()
        for _ in 0..<4 { _ = store.hit(key, window: window, limit: 5, flagFor: lock) }
        clock.advance(window + .milliseconds(1))
        XCTAssertEqual(store.hit(key, window: window, limit: 5, flagFor: lock), 1, "a count expires fail_interval after the last hit")
        for _ in 0..<4 { _ = store.hit(key, window: window, limit: 5, flagFor: lock) }
        XCTAssertEqual(store.flagged(key), 600_000)
        clock.advance(.seconds(599))
        XCTAssertEqual(store.flagged(key), 1000)
        clock.advance(.seconds(1))
        XCTAssertEqual(store.flagged(key), 0, "the lock ends after unlock_time")
        store.clear(key)
        XCTAssertEqual(store.hit(key, window: window, limit: 5, flagFor: lock), 1, "clear forgets the count")
    }

    func testTheCapDropsALowCounterAndNeverAFlag() {
        let store = store(maxKeys: 10)
        for _ in 0..<3 { _ = store.hit(key, window: window, limit: 3, flagFor: lock) }
        for index in 0..<100 {
            _ = store.hit(StoreKey(namespace: "faillock", key: "a/198.51.100.\(index)"), window: window, limit: 3, flagFor: lock)
        }
        let entries = store.sizes
        XCTAssertLessThanOrEqual(entries.counters, 10)
        XCTAssertGreaterThan(store.flagged(key), 0, "a lock outlives the cap")
    }

    func testFlagsAtTheCapSaturateTheNamespaceFailingClosed() {
        let store = store(maxKeys: 2)
        for index in 0..<3 {
            _ = store.hit(StoreKey(namespace: "faillock", key: "a/198.51.100.\(index)"), window: window, limit: 1, flagFor: lock)
        }
        XCTAssertGreaterThan(store.flagged(StoreKey(namespace: "faillock", key: "a/203.0.113.9")), 0,
                             "no room for a lock: every key of the plugin reads as locked")
        XCTAssertEqual(store.flagged(StoreKey(namespace: "other", key: "a/203.0.113.9")), 0)
    }

    /// Two daemons on one backend: failures spread over both lock the key on both.
    func testFailuresSpreadOverTwoStoresLockOnBoth() async throws {
        let backend = MemoryStoreBackend(now: clock.function)
        let (first, second) = (store(backend), store(backend))
        let tasks = [Task { await first.run() }, Task { await second.run() }]
        defer { tasks.forEach { $0.cancel() } }
        for store in [first, second, first, second] { _ = store.hit(key, window: window, limit: 5, flagFor: lock) }
        XCTAssertEqual(first.flagged(key), 0)
        try await waitUntil { (try await backend.counter(key.backendKey))?.count == 4 }
        _ = second.hit(key, window: window, limit: 5, flagFor: lock)
        try await waitUntil { first.flagged(key) > 0 && second.flagged(key) > 0 }

        let (entries, answered) = await first.entries(namespace: "faillock")
        XCTAssertTrue(answered)
        XCTAssertEqual(entries.map(\.count), [5])
        let (removed, taken) = await first.reset([key])
        XCTAssertTrue(taken)
        XCTAssertEqual(removed.first?.count, 5)
        try await waitUntil { first.flagged(key) == 0 && second.flagged(key) == 0 }
    }

    /// The backend down: counting and enforcing go on locally, the change is logged once each way,
    /// and what was counted meanwhile reaches the backend on reconnect.
    func testBackendDownFailsSoftAndPendingCountsArePushedOnReconnect() async throws {
        let memory = MemoryStoreBackend(now: clock.function)
        let backend = SwitchableBackend(memory)
        let log = CapturedLog()
        let store = store(backend, log: log)
        let task = Task { await store.run() }
        defer { task.cancel() }
        backend.down.store(true, ordering: .relaxed)
        for _ in 0..<5 { _ = store.hit(key, window: window, limit: 5, flagFor: lock) }
        XCTAssertGreaterThan(store.flagged(key), 0, "the lock holds locally with the backend down")
        try await waitUntil { !store.isBackendUp }
        try await Task.sleep(for: .milliseconds(100))
        XCTAssertEqual(log.lines.filter { $0.contains("shared store unreachable") }.count, 1, "logged once, not per retry")
        backend.down.store(false, ordering: .relaxed)
        try await waitUntil { (try await memory.counter(key.backendKey))?.count == 5 }
        try await waitUntil { store.isBackendUp }
        try await waitUntil { (try await memory.flags(prefix: "faillock/")).count == 1 }
        XCTAssertEqual(log.lines.filter { $0.contains("shared store reachable again") }.count, 1)
    }

    /// An operator's flag (a revocation): at once here, through the backend on the other store;
    /// set while the backend is down, it holds here and is pushed when the backend is back.
    func testAnOperatorsFlagReachesTheOtherStoreAndWaitsForABackendThatIsDown() async throws {
        let memory = MemoryStoreBackend(now: clock.function)
        let backend = SwitchableBackend(memory)
        let (first, second) = (store(backend), store(memory))
        let tasks = [Task { await first.run() }, Task { await second.run() }]
        defer { tasks.forEach { $0.cancel() } }
        // The memory backend's change stream starts when a store reads it: set again until the
        // second store listens.
        let revoked = StoreKey(namespace: "hmac", key: "revoked/t-1")
        let until = clock.now.adding(.seconds(60))
        try await waitUntil {
            let taken = await first.setFlag(revoked, until: until)
            return taken && first.flagged(revoked) == 60_000 && second.flagged(revoked) == 60_000
        }

        backend.down.store(true, ordering: .relaxed)
        let later = StoreKey(namespace: "hmac", key: "revoked/t-2")
        let takenWhileDown = await first.setFlag(later, until: clock.now.adding(.seconds(60)))
        XCTAssertFalse(takenWhileDown)
        XCTAssertEqual(first.flagged(later), 60_000, "in force here at once")
        XCTAssertEqual(second.flagged(later), 0)
        backend.down.store(false, ordering: .relaxed)
        try await waitUntil { second.flagged(later) == 60_000 }
        let inBackend = try await memory.flags(prefix: "hmac/").map(\.key)
        XCTAssertEqual(inBackend, ["hmac/revoked/t-1", "hmac/revoked/t-2"])
    }

    /// `[store]` errors name file, line and key; `postgres` needs a program that has the backend.
    func testStoreConfiguration() throws {
        let stack = "\n[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\n"
        func error(_ store: String) -> String {
            do {
                _ = try Gatekeeper(configuration: Configuration(parsing: store + stack, file: "p.toml"))
                return "no error"
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(error("[store]\nbackend = \"redis\""), "p.toml:2: store.backend: must be \"memory\" or \"postgres\"")
        XCTAssertEqual(error("[store]\nurl = \"postgresql://db/x\""), "p.toml:2: store.url: is only for backend = \"postgres\"")
        XCTAssertEqual(error("[store]\nbackend = \"postgres\""), "p.toml:2: store.url: backend = \"postgres\" needs url = \"postgresql://…\"")
        XCTAssertEqual(error("[store]\ntimeout = 0"), "p.toml:2: store.timeout: must be a number of seconds from 0.01 to 60")
        XCTAssertEqual(error("[store]\ncolour = 1"), "p.toml:2: store.colour: unknown setting (expected one of: backend, url, timeout, retry_interval, max_keys)")
        let postgres = error("[store]\nbackend = \"postgres\"\nurl = \"postgresql://portcullis:secret@db/x\"")
        XCTAssertTrue(postgres.contains("store.backend: backend \"postgres\" is not available"), postgres)
        XCTAssertFalse(postgres.contains("secret"), "the URL's password is never shown")
        var configuration = try Configuration(parsing: "[store]\nmax_keys = 5000\ntimeout = 0.25" + stack, file: "p.toml").store
        XCTAssertEqual(configuration.maxKeys, 5000)
        XCTAssertEqual(configuration.timeout, .milliseconds(250))
        configuration = try Configuration(parsing: stack, file: "p.toml").store
        XCTAssertEqual(configuration, StoreConfiguration(), "default: memory")
    }

    func waitUntil(timeout: Duration = .seconds(10), _ what: String = "", file: StaticString = #filePath, line: UInt = #line,
                   _ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        XCTFail("not within \(timeout): \(what)", file: file, line: line)
    }
}
