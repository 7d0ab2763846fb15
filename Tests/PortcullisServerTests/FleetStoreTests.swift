import Foundation
import PortcullisTestSupport
import XCTest

/// Two real daemons sharing one real PostgreSQL (`[store] backend = "postgres"`), faillock in
/// front of crypt: counts add up across the fleet, a lock set through one holds on both, an outage
/// leaves both serving and locking on their own, and the restart brings their counts together.
final class FleetStoreTests: XCTestCase {
    typealias S = TestSupport

    struct Daemon {
        let daemon: RunningDaemon
        let metricsPort: Int

        func auth(_ user: String, _ password: String) -> HTTPProbe.Answer? {
            HTTPProbe.get(port: daemon.port, path: "/auth", headers: [("Authorization", .basic(user, password))], timeout: 5)
        }

        /// `portcullis_store_up` on the daemon's /metrics.
        var storeUp: Double? {
            guard let body = HTTPProbe.get(port: metricsPort, path: "/metrics", timeout: 5)?.body,
                  let line = body.split(separator: "\n").first(where: { $0.hasPrefix("portcullis_store_up ") }) else { return nil }
            return Double(line.dropFirst("portcullis_store_up ".count))
        }
    }

    /// A daemon of the fleet: faillock (deny 5) before crypt, the store on `cluster`.
    func startDaemon(_ name: String, cluster: PostgresCluster, users: String, directory: String) async throws -> Daemon {
        let home = directory + "/" + name
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let port = try S.freePort(), metricsPort = try S.freePort()
        let daemon = try await RunningDaemon("""
            [server]
            listen = "127.0.0.1:\(port)"
            metrics_listen = "127.0.0.1:\(metricsPort)"

            [store]
            backend = "postgres"
            url = "\(cluster.url)"
            timeout = 0.3
            retry_interval = 0.2

            [[stack.default]]
            plugin = "faillock"
            control = "requisite"
            deny = 5
            fail_interval = 900
            unlock_time = 600

            [[stack.default]]
            plugin = "crypt"
            control = "required"
            file = "\(users)"
            """, port: port, directory: home, test: self)
        return Daemon(daemon: daemon, metricsPort: metricsPort)
    }

    func makeFleet() async throws -> (PostgresCluster, Daemon, Daemon) {
        let directory = try S.temporaryDirectory(self)
        let users = directory + "/users"
        for (index, user) in ["alice", "bob", "carol", "dave", "probe"].enumerated() {
            let made = try S.run("/usr/bin/env", ["htpasswd", "-bB", "-C", "5"] + (index == 0 ? ["-c"] : []) + [users, user, "right"])
            XCTAssertEqual(made.status, 0, made.output)
        }
        let cluster = try PostgresCluster(self)
        let first = try await startDaemon("a", cluster: cluster, users: users, directory: directory)
        let second = try await startDaemon("b", cluster: cluster, users: users, directory: directory)
        // The fleet is formed once both daemons LISTEN (their listener names itself).
        let listening = await poll(timeout: 15) {
            (try? cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'portcullis-listen'")) == "2"
        }
        XCTAssertTrue(listening, "both daemons listen on the store:\n\(first.daemon.log)\n\(second.daemon.log)")
        XCTAssertEqual(first.auth("probe", "right")?.status, 200)
        XCTAssertEqual(second.auth("probe", "right")?.status, 200)
        return (cluster, first, second)
    }

    func assertLocked(_ daemon: Daemon, _ user: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        let answer = daemon.auth(user, "right")
        XCTAssertEqual(answer?.status, 403, "\(message): \(answer?.head ?? "no answer")\n\(daemon.daemon.log)", file: file, line: line)
        XCTAssertTrue(answer?.body.contains("locked_out") == true, "\(message): \(answer?.body ?? "")", file: file, line: line)
        XCTAssertTrue(answer?.head.lowercased().contains("retry-after:") == true, "\(message): \(answer?.head ?? "")", file: file, line: line)
    }

    func testFailuresSpreadAcrossBothDaemonsLockTheKeyOnBothWithinASecond() async throws {
        let (cluster, first, second) = try await makeFleet()
        // 3 + 2 wrong passwords: neither daemon alone reaches deny = 5.
        for _ in 0..<3 { XCTAssertEqual(first.auth("alice", "wrong")?.status, 401) }
        for _ in 0..<2 { XCTAssertEqual(second.auth("alice", "wrong")?.status, 401) }
        try await Task.sleep(for: .seconds(1))
        // The right password is refused on both (and asking costs no count: a lock answers first).
        assertLocked(first, "alice", "first daemon")
        assertLocked(second, "alice", "second daemon")
        XCTAssertEqual(try cluster.psql("SELECT count FROM portcullis_store_counters WHERE key LIKE '%/alice'"), "5")
        XCTAssertEqual(try cluster.psql("SELECT count(*) FROM portcullis_store_flags WHERE key LIKE '%/alice' AND expires_at > now()"), "1")
        // Another user from the same address is not locked.
        XCTAssertEqual(first.auth("bob", "right")?.status, 200)
    }

    func testWithTheDatabaseDownBothServeAndLockLocallyAndResyncWhenItIsBack() async throws {
        let (cluster, first, second) = try await makeFleet()
        try cluster.stop()

        // Both keep serving.
        XCTAssertEqual(first.auth("bob", "right")?.status, 200, first.daemon.log)
        XCTAssertEqual(second.auth("bob", "right")?.status, 200, second.daemon.log)
        // And keep locking on their own.
        for _ in 0..<5 { XCTAssertEqual(first.auth("carol", "wrong")?.status, 401) }
        assertLocked(first, "carol", "locked locally while the store is down")
        // Counted on both while down: 3 + 2, neither alone at the limit.
        for _ in 0..<3 { XCTAssertEqual(first.auth("dave", "wrong")?.status, 401) }
        for _ in 0..<2 { XCTAssertEqual(second.auth("dave", "wrong")?.status, 401) }
        let down = await poll(timeout: 10) { first.storeUp == 0 && second.storeUp == 0 }
        XCTAssertTrue(down, "portcullis_store_up: \(String(describing: first.storeUp)) \(String(describing: second.storeUp))")

        try cluster.start()
        // Resync: the pending counts reach the database, which makes dave's 5 and locks him.
        let pushed = await poll(timeout: 20) {
            (try? cluster.psql("SELECT count FROM portcullis_store_counters WHERE key LIKE '%/dave'")) == "5"
                && (try? cluster.psql("SELECT count(*) FROM portcullis_store_flags WHERE key LIKE '%/dave' AND expires_at > now()")) == "1"
        }
        XCTAssertTrue(pushed, "counters: \((try? cluster.psql("SELECT key, count FROM portcullis_store_counters")) ?? "-")\n\(first.daemon.log)\n\(second.daemon.log)")
        let up = await poll(timeout: 15) { first.storeUp == 1 && second.storeUp == 1 }
        XCTAssertTrue(up, "portcullis_store_up: \(String(describing: first.storeUp)) \(String(describing: second.storeUp))")
        try await Task.sleep(for: .seconds(1))
        assertLocked(first, "dave", "first daemon after the resync")
        assertLocked(second, "dave", "second daemon after the resync")
        // The lock the first daemon set alone while the database was down now holds on the second.
        assertLocked(second, "carol", "second daemon learns the first's local lock")
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` seconds pass.
    func poll(timeout: Double, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while true {
            if await condition() { return true }
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
