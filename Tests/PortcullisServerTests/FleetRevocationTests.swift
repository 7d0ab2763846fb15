import Foundation
import PortcullisTestSupport
import XCTest

/// Two real daemons sharing one real PostgreSQL, hmac with `revoked_store = true`: a revocation
/// sent to one daemon's admin socket (`portcullis token revoke`) is refused by the other within a
/// second; with the database stopped, both refuse tokens with a jti once their copy is older than
/// `max_stale` (and keep accepting tokens without one); restarted, the tokens pass again.
final class FleetRevocationTests: XCTestCase {
    typealias S = TestSupport

    struct Daemon {
        let daemon: RunningDaemon
        let socket: String

        func auth(_ token: String) -> HTTPProbe.Answer? {
            HTTPProbe.get(port: daemon.port, path: "/auth", headers: [("Authorization", "Bearer \(token)")], timeout: 5)
        }
    }

    struct Fleet {
        let cluster: PostgresCluster
        let first: Daemon
        let second: Daemon
        let keys: String
    }

    func startDaemon(_ name: String, cluster: PostgresCluster, keys: String, directory: String) async throws -> Daemon {
        let home = directory + "/" + name
        try FileManager.default.createDirectory(atPath: home + "/run", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let port = try S.freePort()
        let socket = home + "/run/admin.sock"
        // The verification cache stays on (its default): a revocation must beat it.
        let daemon = try await RunningDaemon("""
            [server]
            listen = "127.0.0.1:\(port)"
            metrics_listen = "off"
            admin_socket = "\(socket)"

            [store]
            backend = "postgres"
            url = "\(cluster.url)"
            timeout = 0.3
            retry_interval = 0.2

            [[stack.default]]
            plugin = "hmac"
            control = "required"
            keys = "\(keys)"
            revoked_store = true
            max_stale = 2
            """, port: port, directory: home, test: self)
        return Daemon(daemon: daemon, socket: socket)
    }

    func makeFleet() async throws -> Fleet {
        let directory = try S.temporaryDirectory(self)
        let keys = directory + "/keys.jwks"
        try S.write(#"{"keys": [{"kty": "oct", "kid": "k1", "alg": "HS256", "k": "\#(String(repeating: "Q", count: 43))"}]}"#, to: keys)
        let cluster = try PostgresCluster(self)
        let first = try await startDaemon("a", cluster: cluster, keys: keys, directory: directory)
        let second = try await startDaemon("b", cluster: cluster, keys: keys, directory: directory)
        let listening = await poll(timeout: 15) {
            (try? cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'portcullis-listen'")) == "2"
        }
        XCTAssertTrue(listening, "both daemons listen on the store:\n\(first.daemon.log)\n\(second.daemon.log)")
        // In sync with the store: a token with a jti passes on both (before the first sync it is refused).
        let probe = try token(keys, jti: "probe")
        let synced = await poll(timeout: 15) { first.auth(probe)?.status == 200 && second.auth(probe)?.status == 200 }
        XCTAssertTrue(synced, "both daemons accept a token with a jti once in sync:\n\(first.daemon.log)\n\(second.daemon.log)")
        return Fleet(cluster: cluster, first: first, second: second, keys: keys)
    }

    /// A token from `portcullis-token issue`, with this jti, or none.
    func token(_ keys: String, jti: String?) throws -> String {
        let arguments = ["issue", "--keys", keys, "--sub", "alice", "--ttl", "15m"] + (jti.map { ["--claim", "jti=\($0)"] } ?? ["--no-jti"])
        let issued = try S.run(S.binDirectory + "/portcullis-token", arguments)
        XCTAssertEqual(issued.status, 0, issued.stderr)
        return issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func portcullis(_ arguments: [String]) throws -> ProcessResult {
        try S.run(S.binDirectory + "/portcullis", arguments)
    }

    func testARevocationSentToOneDaemonIsRefusedByTheOtherWithinASecond() async throws {
        let fleet = try await makeFleet()
        let revoked = try token(fleet.keys, jti: "stolen-1"), other = try token(fleet.keys, jti: "fine-1")
        // Cached on the second daemon before the revocation (as far as the cache would keep it).
        for _ in 0..<3 { XCTAssertEqual(fleet.second.auth(revoked)?.status, 200) }

        let revoke = try portcullis(["token", "revoke", "--socket", fleet.first.socket, "--jti", "stolen-1", "--ttl", "15m"])
        XCTAssertEqual(revoke.status, 0, revoke.output)
        XCTAssertFalse(revoke.stderr.contains("warning"), revoke.output)
        let refused = await poll(timeout: 1) { fleet.second.auth(revoked)?.status == 401 }
        let answer = fleet.second.auth(revoked)
        XCTAssertTrue(refused, "the second daemon refuses the revoked jti: \(answer?.head ?? "no answer")\n\(fleet.second.daemon.log)")
        XCTAssertTrue(answer?.body.contains("revoked_credentials") == true, answer?.body ?? "")
        XCTAssertTrue(answer?.head.contains(#"error="invalid_token""#) == true, answer?.head ?? "")
        XCTAssertEqual(fleet.first.auth(revoked)?.status, 401)
        XCTAssertEqual(fleet.second.auth(other)?.status, 200)
        XCTAssertEqual(try fleet.cluster.psql("SELECT count(*) FROM portcullis_store_flags WHERE key = 'hmac/revoked/stolen-1' AND expires_at > now()"), "1")

        // Listed by the other daemon too (from the store), and logged with the jti where it was sent.
        let listed = try portcullis(["token", "revocations", "--socket", fleet.second.socket])
        XCTAssertEqual(listed.status, 0, listed.output)
        XCTAssertTrue(listed.stdout.contains("stolen-1\t"), listed.output)
        XCTAssertTrue(fleet.first.daemon.log.contains("token revoked by an operator") && fleet.first.daemon.log.contains("stolen-1"), fleet.first.daemon.log)
        XCTAssertFalse(fleet.first.daemon.log.contains(revoked), "no token in the log")

        let bad = try portcullis(["token", "revoke", "--socket", fleet.first.socket, "--jti", "has space", "--ttl", "1h"])
        XCTAssertEqual(bad.status, 2, bad.output)
    }

    func testWithTheDatabaseDownTokensWithAJtiAreRefusedAfterMaxStaleAndPassAgainWhenItIsBack() async throws {
        let fleet = try await makeFleet()
        let withJti = try token(fleet.keys, jti: "fine-2"), withoutJti = try token(fleet.keys, jti: nil)
        let revoked = try token(fleet.keys, jti: "stolen-2")
        let revoke = try portcullis(["token", "revoke", "--socket", fleet.first.socket, "--jti", "stolen-2", "--ttl", "15m"])
        XCTAssertEqual(revoke.status, 0, revoke.output)
        let learned = await poll(timeout: 5) { fleet.second.auth(revoked)?.status == 401 }
        XCTAssertTrue(learned, fleet.second.daemon.log)
        try fleet.cluster.stop()

        for daemon in [fleet.first, fleet.second] {
            let refused = await poll(timeout: 15) { daemon.auth(withJti)?.status == 503 }
            let answer = daemon.auth(withJti)
            XCTAssertTrue(refused, "a token with a jti is refused once the copy is stale: \(answer?.head ?? "no answer")\n\(daemon.daemon.log)")
            XCTAssertTrue(answer?.body.contains("backend_unavailable") == true, answer?.body ?? "")
            XCTAssertTrue(answer?.head.lowercased().contains("retry-after:") == true, answer?.head ?? "")
            XCTAssertEqual(daemon.auth(withoutJti)?.status, 200, "a token without a jti is unaffected")
            // A revocation known here still answers as one.
            XCTAssertEqual(daemon.auth(revoked)?.status, 401)
        }

        try fleet.cluster.start()
        for daemon in [fleet.first, fleet.second] {
            let back = await poll(timeout: 30) { daemon.auth(withJti)?.status == 200 }
            XCTAssertTrue(back, "in sync again, a token with a jti passes: \(daemon.auth(withJti)?.head ?? "no answer")\n\(daemon.daemon.log)")
            XCTAssertEqual(daemon.auth(revoked)?.status, 401, "the revocation holds after the restart")
            XCTAssertEqual(daemon.auth(withoutJti)?.status, 200)
        }
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
