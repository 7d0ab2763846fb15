import Foundation
import Logging
import PortcullisRuntime
import PortcullisTestSupport
import Synchronization
import XCTest

@testable import Portcullis

/// A request with Basic credentials from `address`.
private func request(_ user: String, _ password: String, from address: String = "192.0.2.10") -> AuthRequest {
    AuthRequest(headers: [("Authorization", .basic(user, password))], peer: IPAddress(address))
}

/// The real `libportcullis-faillock.so` through the host's loader, in front of the real crypt
/// plugin with a bcrypt hash made by `portcullis-hash`, and the counting fixture between them so
/// the tests see whether any verification ran.
final class FaillockLoaderTests: XCTestCase {
    /// A wall clock the test moves: locks expire without waiting.
    final class Clock: Sendable {
        private let time = Mutex(WallTime(milliseconds: 1_700_000_000_000))
        func advance(_ duration: Duration) { time.withLock { $0 = $0.adding(duration) } }
        var function: @Sendable () -> WallTime { { self.time.withLock { $0 } } }
    }

    var directory = ""
    var countFile: String { directory + "/calls" }
    let clock = Clock()
    let log = CapturedLog()

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.compileCountingPlugin(into: directory)
        let hash = try TestSupport.run(TestSupport.binDirectory + "/portcullis-hash", ["--user", "alice", "--scheme", "bcrypt", "--cost", "4"],
                                       input: Array("right".utf8))
        XCTAssertEqual(hash.status, 0, hash.stderr)
        try TestSupport.write(String(hash.stdout.split(separator: "\n")[0]) + "\n", to: directory + "/passwords")
    }

    /// faillock first, then the counting plugin (`optional`: its answer never decides), then crypt.
    func gatekeeper(_ faillock: String = "deny = 5", status: String = "", store: SharedStore? = nil) throws -> Gatekeeper {
        let configuration = try Configuration(parsing: """
            \(status)
            [cache]
            enabled = false

            [[stack.default]]
            plugin = "faillock"
            control = "requisite"
            \(faillock)

            [[stack.default]]
            plugin = "counting"
            path = "\(directory)/libportcullis-counting.so"
            control = "optional"
            count_file = "\(countFile)"
            password = "never used"

            [[stack.default]]
            plugin = "crypt"
            control = "required"
            file = "\(directory)/passwords"
            """, file: directory + "/portcullis.toml")
        let store = store ?? SharedStore(configuration: StoreConfiguration(), backend: MemoryStoreBackend(), logger: log.logger, now: clock.function)
        return try Gatekeeper(configuration: configuration, logger: log.logger, store: store)
    }

    func count(_ gatekeeper: Gatekeeper, _ key: String) async -> Int64? {
        await gatekeeper.store.entries(namespace: "faillock").entries.first { $0.key.key == key }?.count
    }

    /// 50 wrong passwords in flight at once against deny = 5 (all past faillock's check before any
    /// is verified, as a way in runs them: the non-blocking part first, crypt on the pool), then
    /// verified and observed in parallel: all 50 counted, and the pair locked.
    func testParallelFailuresAreAllCountedAndLock() async throws {
        let gatekeeper = try gatekeeper()
        let pending = (0..<50).map { _ in
            guard case .needsBlocking(let pending) = gatekeeper.evaluateWithoutBlocking(request("alice", "wrong")) else {
                preconditionFailure("crypt is blocking and the cache is off: the check must stop before it")
            }
            return pending
        }
        DispatchQueue.concurrentPerform(iterations: 50) { index in
            let outcome = gatekeeper.finish(pending[index])
            precondition(outcome.reason == .invalidCredentials)
            outcome.observation?.deliver()
        }
        let count = await count(gatekeeper, "u/192.0.2.10/alice")
        XCTAssertEqual(count, 50)
        let locked = gatekeeper.evaluate(request("alice", "right"))
        XCTAssertEqual(locked.reason, .lockedOut)
        XCTAssertEqual(gatekeeper.response(for: locked).value(of: "Retry-After"), "600")
        // Logged by the observer whose failure reached the limit (a racing one may log it too).
        XCTAssertTrue(log.lines.contains { $0.contains("locked user from address: user=alice address=192.0.2.10 count=5 limit=5") },
                      "\(log.lines)")
    }

    /// The same through the runtime the daemon uses: observe runs after the answer, on tasks of
    /// its own, and still every failure counts once. No lock here (`deny` above 50): the runtime
    /// gives no order between one request's check and another's count, so with `deny = 5` a late
    /// request could meet the lock and, refused before crypt, rightly not count (CI saw 49).
    func testParallelFailuresThroughTheRuntimeAreAllCounted() async throws {
        let gatekeeper = try gatekeeper("deny = 1000\ndeny_per_address = 1000")
        let runtime = DecisionRuntime(gatekeeper: gatekeeper)
        let reasons = await withTaskGroup(of: ReasonCode?.self) { group in
            for _ in 0..<50 { group.addTask { await runtime.decide(request("alice", "wrong"), stack: "default").outcome.reason } }
            return await group.reduce(into: [ReasonCode?]()) { $0.append($1) }
        }
        XCTAssertEqual(reasons.filter { $0 != .invalidCredentials }, [], "every request was verified and refused: \(reasons)")
        var counted: Int64? = nil
        for _ in 0..<2000 where counted != 50 {
            counted = await count(gatekeeper, "u/192.0.2.10/alice")
            try await Task.sleep(for: .milliseconds(5))
        }
        XCTAssertEqual(counted, 50)
        await runtime.shutdown()
    }

    func testParallelCorrectLoginsNeverLock() async throws {
        let gatekeeper = try gatekeeper()
        let allowed = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 50) { _ in
            if gatekeeper.evaluate(request("alice", "right")).principal == "alice" { allowed.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(allowed.load(ordering: .relaxed), 50)
        let entries = await gatekeeper.store.entries(namespace: "faillock").entries
        XCTAssertEqual(entries, [], "an allow counts nothing")
    }

    /// A locked user with the right password: locked_out, and nothing after faillock ran.
    func testALockedKeyCostsNoVerification() throws {
        let gatekeeper = try gatekeeper()
        for _ in 0..<5 { XCTAssertEqual(gatekeeper.evaluate(request("alice", "wrong")).reason, .invalidCredentials) }
        let calls = TestSupport.countedCalls(countFile)
        XCTAssertEqual(calls, 5)
        let outcome = gatekeeper.evaluate(request("alice", "right"))
        XCTAssertEqual(outcome.reason, .lockedOut)
        XCTAssertEqual(outcome.trace.map(\.plugin), ["faillock"], "the stack stopped at faillock")
        XCTAssertEqual(TestSupport.countedCalls(countFile), calls, "no entry after faillock was called")
        XCTAssertNil(outcome.principal)
        clock.advance(.seconds(600))
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right")).principal, "alice", "unlocked after unlock_time")
    }

    func testFailuresFromOneAddressDoNotLockTheUserOnAnother() throws {
        let gatekeeper = try gatekeeper()
        for _ in 0..<5 { _ = gatekeeper.evaluate(request("alice", "wrong", from: "192.0.2.10")) }
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right", from: "192.0.2.10")).reason, .lockedOut)
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right", from: "198.51.100.7")).principal, "alice")
    }

    /// IPv6 clients are keyed by their /64: moving inside it does not reset the count.
    func testIPv6IsKeyedBySixtyFour() throws {
        let gatekeeper = try gatekeeper()
        for index in 0..<5 { _ = gatekeeper.evaluate(request("alice", "wrong", from: "2001:db8:1:2::\(index + 1)")) }
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right", from: "2001:db8:1:2:ffff::9")).reason, .lockedOut)
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right", from: "2001:db8:1:3::1")).principal, "alice")
    }

    /// An unknown user and a known one get the same bytes, before and after the lock.
    func testUnknownAndKnownUsersGetIdenticalAnswers() throws {
        let gatekeeper = try gatekeeper()
        func answer(_ user: String) -> AuthResponse { gatekeeper.response(for: gatekeeper.evaluate(request(user, "wrong"))) }
        XCTAssertEqual(answer("alice"), answer("mallory"))
        for _ in 0..<4 {
            _ = answer("alice")
            _ = answer("mallory")
        }
        let (known, unknown) = (answer("alice"), answer("mallory"))
        XCTAssertEqual(known.status, 403, "locked_out with no challenge offered: 403")
        XCTAssertEqual(known.value(of: "Retry-After"), "600")
        XCTAssertEqual(known, unknown)
    }

    /// One address spraying many users: its own key locks it for every user-id.
    func testTheAddressKeyLocksASprayer() throws {
        let gatekeeper = try gatekeeper("deny = 5\ndeny_per_address = 8")
        for index in 0..<8 { _ = gatekeeper.evaluate(request("user\(index)", "guess", from: "203.0.113.66")) }
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right", from: "203.0.113.66")).reason, .lockedOut)
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right", from: "203.0.113.67")).principal, "alice")
        XCTAssertTrue(log.lines.contains { $0.contains("locked address: address=203.0.113.66 count=8") }, "\(log.lines)")
    }

    /// An allow clears the pair's count (not the address's).
    func testAnAllowClearsTheUsersCount() async throws {
        let gatekeeper = try gatekeeper()
        for _ in 0..<4 { _ = gatekeeper.evaluate(request("alice", "wrong")) }
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right")).principal, "alice")
        for _ in 0..<4 { _ = gatekeeper.evaluate(request("alice", "wrong")) }
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right")).principal, "alice")
        let userCount = await count(gatekeeper, "u/192.0.2.10/alice")
        let addressCount = await count(gatekeeper, "a/192.0.2.10")
        XCTAssertNil(userCount)
        XCTAssertEqual(addressCount, 8)
    }

    /// Which denies count where, with the debug plugin answering the deny: a Bearer token has no
    /// user-id (the address only), a malformed Basic header counts on the address, and a
    /// malformed Bearer header does not count.
    func testWhatCountsForEachCredential() async throws {
        func gatekeeper(reason: String) throws -> Gatekeeper {
            let configuration = try Configuration(parsing: """
                [[stack.default]]
                plugin = "faillock"
                control = "requisite"
                [[stack.default]]
                plugin = "debug"
                control = "required"
                result = "deny"
                reason = "\(reason)"
                """, file: "portcullis.toml")
            let store = SharedStore(configuration: StoreConfiguration(), backend: MemoryStoreBackend(), logger: log.logger)
            return try Gatekeeper(configuration: configuration, logger: log.logger, store: store)
        }
        func counts(_ gatekeeper: Gatekeeper, _ authorization: String) async -> [String: Int64] {
            _ = gatekeeper.evaluate(AuthRequest(headers: [("Authorization", authorization)], peer: IPAddress("192.0.2.10")))
            let entries = await gatekeeper.store.entries(namespace: "faillock").entries
            return Dictionary(uniqueKeysWithValues: entries.map { ($0.key.key, $0.count) })
        }
        let invalid = try gatekeeper(reason: "invalid_credentials")
        let afterBearer = await counts(invalid, "Bearer abc.def")
        XCTAssertEqual(afterBearer, ["a/192.0.2.10": 1])
        let afterBasic = await counts(invalid, .basic("alice", "x"))
        XCTAssertEqual(afterBasic, ["a/192.0.2.10": 2, "u/192.0.2.10/alice": 1])

        let malformed = try gatekeeper(reason: "malformed_credentials")
        let afterBadBasic = await counts(malformed, "Basic !!not-base64")
        XCTAssertEqual(afterBadBasic, ["a/192.0.2.10": 1], "a Basic header that does not parse counts, on the address")
        let afterBadBearer = await counts(malformed, "Bearer a b c")
        XCTAssertEqual(afterBadBearer, ["a/192.0.2.10": 1], "a malformed Bearer header does not count")

        let other = try gatekeeper(reason: "ip_not_allowed")
        let afterOther = await counts(other, .basic("alice", "x"))
        XCTAssertEqual(afterOther, [:], "only wrong credentials count")
    }

    /// A new gatekeeper on the same store (what a reload builds) keeps the counts and locks.
    func testAReloadKeepsCounts() throws {
        let first = try gatekeeper()
        for _ in 0..<5 { _ = first.evaluate(request("alice", "wrong")) }
        let reloaded = try gatekeeper(store: first.store)
        XCTAssertEqual(reloaded.evaluate(request("alice", "right")).reason, .lockedOut)
    }

    /// Keys never hold the password, and an odd user-id is escaped.
    func testKeysHoldNoPasswordAndEscapeTheUser() async throws {
        let gatekeeper = try gatekeeper()
        _ = gatekeeper.evaluate(request("eve/ü %x", "Secret-Pass"))
        let keys = await gatekeeper.store.entries(namespace: "faillock").entries.map(\.key.key)
        XCTAssertEqual(keys.sorted(), ["a/192.0.2.10", "u/192.0.2.10/eve%2F%C3%BC%20%25x"])
        XCTAssertFalse(log.formattedLines.joined().contains("Secret-Pass"))
    }

    func testArgumentsAreChecked() throws {
        XCTAssertThrowsError(try gatekeeper("deny = 0")) { error in
            XCTAssertTrue("\(error)".contains("deny"), "\(error)")
        }
        XCTAssertThrowsError(try gatekeeper("lock = 5")) { error in
            XCTAssertTrue("\(error)".contains("lock"), "\(error)")
        }
    }

    /// `config check` warns when 429 meets nginx's auth_request (which answers 500 for it).
    func testLockedOut429BehindNginxIsAWarning() throws {
        let nginx = try gatekeeper(status: "[status]\nlocked_out = 429")
        XCTAssertTrue(nginx.warnings.contains { $0.contains("status.locked_out = 429") }, "\(nginx.warnings)")
        let traefik = try gatekeeper(status: "[server]\noriginal_request = \"x-forwarded\"\n[status]\nlocked_out = 429")
        XCTAssertFalse(traefik.warnings.contains { $0.contains("status.locked_out") })
    }
}
