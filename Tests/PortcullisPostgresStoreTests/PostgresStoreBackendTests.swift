import Portcullis
import PortcullisPostgresStore
import PortcullisTestSupport
import XCTest

/// `PostgresStoreBackend` against a real PostgreSQL cluster the test starts: exact counting
/// across processes' worth of backends, expiry on the database's clock, notifications between
/// instances, and an outage that never hangs a caller.
final class PostgresStoreBackendTests: XCTestCase {
    func testParallelIncrementsFromTwoBackendsAreAllCounted() async throws {
        let cluster = try PostgresCluster(self)
        let first = try await RunningStore(url: cluster.url, timeout: .seconds(5), test: self)
        let second = try await RunningStore(url: cluster.url, timeout: .seconds(5), test: self)

        let counts = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<200 {
                let backend = index.isMultiple(of: 2) ? first.backend : second.backend
                group.addTask { try await backend.increment("faillock:u:alice", by: 1, window: .seconds(60)).count }
            }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        // Each increment saw a different total: none was lost, none counted twice.
        XCTAssertEqual(counts.sorted(), Array(1...200))
        let stored = try await second.backend.counter("faillock:u:alice")
        XCTAssertEqual(stored?.count, 200)
        XCTAssertEqual(try cluster.psql("SELECT count FROM portcullis_store_counters WHERE key = 'faillock:u:alice'"), "200")
    }

    func testAnExpiredCounterRestartsAtTheAmountAndExpiryFollowsTheDatabaseClock() async throws {
        let cluster = try PostgresCluster(self)
        let store = try await RunningStore(url: cluster.url, test: self)
        let backend = store.backend

        _ = try await backend.increment("k", by: 2, window: .milliseconds(400))
        let second = try await backend.increment("k", by: 3, window: .milliseconds(400))
        XCTAssertEqual(second.count, 5)
        let databaseNow = try XCTUnwrap(Int64(cluster.psql("SELECT (extract(epoch FROM now()) * 1000)::bigint")))
        // now() + window on the database's clock (the psql call came a little after the increment).
        XCTAssertLessThanOrEqual(second.expiry.milliseconds, databaseNow + 400)
        XCTAssertGreaterThan(second.expiry.milliseconds, databaseNow + 400 - 2000)

        try await Task.sleep(for: .milliseconds(600))
        let expired = try await backend.counter("k")
        XCTAssertNil(expired, "a counter past its expiry reads as absent")
        let restarted = try await backend.increment("k", by: 1, window: .seconds(60))
        XCTAssertEqual(restarted.count, 1, "an expired counter starts again at the amount")
    }

    func testPrefixQueriesAndRemoval() async throws {
        let cluster = try PostgresCluster(self)
        let backend = try await RunningStore(url: cluster.url, test: self).backend

        _ = try await backend.increment("faillock:u:alice|10.0.0.1", by: 1, window: .seconds(60))
        _ = try await backend.increment("faillock:a:10.0.0.1", by: 4, window: .seconds(60))
        // `_` and `%` are not wildcards: a prefix is compared byte for byte.
        _ = try await backend.increment("faillock_u", by: 1, window: .seconds(60))
        let users = try await backend.counters(prefix: "faillock:u:")
        XCTAssertEqual(users.map(\.key), ["faillock:u:alice|10.0.0.1"])
        let all = try await backend.counters(prefix: "faillock:")
        XCTAssertEqual(all.map(\.key), ["faillock:a:10.0.0.1", "faillock:u:alice|10.0.0.1"])
        try await backend.removeCounter("faillock:a:10.0.0.1")
        let removed = try await backend.counter("faillock:a:10.0.0.1")
        XCTAssertNil(removed)

        let until = WallTime.now().adding(.seconds(60))
        try await backend.setFlag("faillock:lock:alice", until: until)
        try await backend.setFlag("faillock:lock:old", until: WallTime.now().adding(.seconds(-1)))
        let flags = try await backend.flags(prefix: "faillock:lock:")
        XCTAssertEqual(flags, [StoreFlag(key: "faillock:lock:alice", expiry: until)], "an expired flag is not listed; expiry round-trips to the millisecond")
        try await backend.removeFlag("faillock:lock:alice")
        let left = try await backend.flags(prefix: "faillock:lock:")
        XCTAssertEqual(left, [])
    }

    func testFlagChangesOnOneBackendArriveOnAnotherWithinASecond() async throws {
        let cluster = try PostgresCluster(self)
        let first = try await RunningStore(url: cluster.url, test: self)
        let second = try await RunningStore(url: cluster.url, test: self)

        let until = WallTime.now().adding(.seconds(600))
        try await first.backend.setFlag("faillock:lock:bob|10.0.0.2", until: until)
        let arrived = await poll(timeout: 1) { second.receivedFlag("faillock:lock:bob|10.0.0.2") != nil }
        XCTAssertTrue(arrived, "the flag set on the first backend reached the second within 1 s: \(second.changes)")
        XCTAssertEqual(second.receivedFlag("faillock:lock:bob|10.0.0.2")?.expiry, until)
        XCTAssertNotNil(first.receivedFlag("faillock:lock:bob|10.0.0.2"), "the setter hears its own change too")

        try await first.backend.removeFlag("faillock:lock:bob|10.0.0.2")
        try await first.backend.removeCounter("faillock:u:bob|10.0.0.2")
        let removed = await poll(timeout: 1) {
            second.changes.contains(.flagRemoved(key: "faillock:lock:bob|10.0.0.2"))
                && second.changes.contains(.counterRemoved(key: "faillock:u:bob|10.0.0.2"))
        }
        XCTAssertTrue(removed, "removals reached the second backend within 1 s: \(second.changes)")
    }

    func testADatabaseThatIsDownFailsCallsWithinTheTimeoutAndComesBack() async throws {
        let cluster = try PostgresCluster(self)
        let first = try await RunningStore(url: cluster.url, timeout: .milliseconds(300), test: self)
        let second = try await RunningStore(url: cluster.url, timeout: .milliseconds(300), test: self)
        XCTAssertEqual(first.upGauge, 1)

        try cluster.stop()
        for call in 0..<3 {
            let started = ContinuousClock.now
            do {
                _ = try await first.backend.increment("k", by: 1, window: .seconds(60))
                XCTFail("call \(call): an increment succeeded with the database stopped")
            } catch {}
            let elapsed = ContinuousClock.now - started
            // The bound is 300 ms; the margin is for a loaded machine, far below a hang.
            XCTAssertLessThan(elapsed, .milliseconds(1300), "call \(call) took \(elapsed)")
        }
        let down = await poll(timeout: 5) { first.upGauge == 0 && second.upGauge == 0 }
        XCTAssertTrue(down, "portcullis_store_up reads 0 on both: \(String(describing: first.upGauge)), \(String(describing: second.upGauge))")
        XCTAssertFalse(first.backend.isUp)

        try cluster.start()
        // Both LISTEN connections come back by themselves (backoff at most 500 ms here).
        try await second.waitUntilListening(timeout: 15)
        try await first.waitUntilListening(timeout: 15)
        XCTAssertEqual(first.upGauge, 1)
        XCTAssertEqual(second.upGauge, 1)
        let counted = try await first.backend.increment("k", by: 1, window: .seconds(60))
        XCTAssertEqual(counted.count, 1)
        try await first.backend.setFlag("after-restart", until: WallTime.now().adding(.seconds(60)))
        let arrived = await poll(timeout: 1) { second.receivedFlag("after-restart") != nil }
        XCTAssertTrue(arrived, "notifications flow again after the restart")
    }

    func testAStoppedButConnectedDatabaseStillCannotHangACall() async throws {
        // SIGSTOP: the server keeps its sockets open and never answers, like a network that drops
        // packets. Only the deadline ends the call.
        let cluster = try PostgresCluster(self)
        let store = try await RunningStore(url: cluster.url, timeout: .milliseconds(300), test: self)
        let postmaster = try cluster.serverProcessIDs()
        XCTAssertFalse(postmaster.isEmpty)
        for pid in postmaster { kill(pid, SIGSTOP) }
        addTeardownBlock { for pid in postmaster { kill(pid, SIGCONT) } }

        let started = ContinuousClock.now
        do {
            _ = try await store.backend.counter("k")
            XCTFail("a read succeeded from a stopped server")
        } catch {
            XCTAssertTrue(error is PostgresStoreTimeout, "\(error)")
        }
        XCTAssertLessThan(ContinuousClock.now - started, .milliseconds(1300))
        let down = await poll(timeout: 2) { store.upGauge == 0 }
        XCTAssertTrue(down)

        for pid in postmaster { kill(pid, SIGCONT) }
        let back = await poll(timeout: 10) { (try? await store.backend.counter("k")) != nil || store.upGauge == 1 }
        XCTAssertTrue(back, "calls succeed again once the server runs")
    }

    func testExpiredRowsArePruned() async throws {
        let cluster = try PostgresCluster(self)
        let store = try await RunningStore(url: cluster.url, configure: { $0.pruneInterval = .milliseconds(200) }, test: self)
        _ = try await store.backend.increment("short", by: 1, window: .milliseconds(50))
        _ = try await store.backend.increment("long", by: 1, window: .seconds(60))
        try await store.backend.setFlag("gone", until: WallTime.now().adding(.milliseconds(50)))
        let pruned = await poll(timeout: 5) {
            (try? cluster.psql("SELECT (SELECT count(*) FROM portcullis_store_counters) || ',' || (SELECT count(*) FROM portcullis_store_flags WHERE key = 'gone')")) == "1,0"
        }
        XCTAssertTrue(pruned, (try? cluster.psql("SELECT key FROM portcullis_store_counters")) ?? "")
    }
}
