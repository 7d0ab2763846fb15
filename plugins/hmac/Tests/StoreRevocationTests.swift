import Foundation
import HmacPlugin
import Logging
import Portcullis
import PortcullisPluginKit
import PortcullisTestSupport
import Synchronization
import XCTest

/// `revoked_store = true`: the real `libportcullis-hmac.so` through the host's loader, on a real
/// ``SharedStore`` (memory backend) whose flags an operator sets as the admin socket does.
final class StoreRevocationTests: XCTestCase {
    /// The store's wall clock, which the test moves: revocations expire without waiting.
    final class Clock: Sendable {
        private let time = Mutex(WallTime.now())
        func advance(_ duration: Duration) { time.withLock { $0 = $0.adding(duration) } }
        var function: @Sendable () -> WallTime { { self.time.withLock { $0 } } }
    }

    /// The memory backend, reporting the staleness the test sets (a backend cut off from its
    /// database, without one): what the hmac plugin reads through `store_staleness_ms`.
    final class StalenessBackend: StoreBackend {
        let inner = MemoryStoreBackend()
        let stalenessMilliseconds = Atomic<Int64>(0)
        func increment(_ key: String, by amount: Int64, window: Duration) async throws -> StoreCounter {
            try await inner.increment(key, by: amount, window: window)
        }
        func counter(_ key: String) async throws -> StoreCounter? { try await inner.counter(key) }
        func counters(prefix: String) async throws -> [StoreCounter] { try await inner.counters(prefix: prefix) }
        func removeCounter(_ key: String) async throws { try await inner.removeCounter(key) }
        func setFlag(_ key: String, until expiry: WallTime) async throws { try await inner.setFlag(key, until: expiry) }
        func flags(prefix: String) async throws -> [StoreFlag] { try await inner.flags(prefix: prefix) }
        func removeFlag(_ key: String) async throws { try await inner.removeFlag(key) }
        var changes: AsyncStream<StoreChange> { inner.changes }
        func run() async throws { try await inner.run() }
        var staleness: Duration? {
            let value = stalenessMilliseconds.load(ordering: .relaxed)
            return value < 0 ? nil : .milliseconds(value)
        }
    }

    var now: Double { Date().timeIntervalSince1970.rounded(.down) }
    let key = randomKey(kid: "2026-11")
    let clock = Clock()
    let log = CapturedLog()

    /// One `hmac` entry with `revoked_store = true`, the verification cache on (as by default).
    func gatekeeper(extra: String = "", negativeTTL: Int = 5, backend: any StoreBackend = MemoryStoreBackend()) throws -> Gatekeeper {
        let directory = try TestSupport.temporaryDirectoryURL(self)
        let keyFile = directory.appendingPathComponent("keys.jwks")
        try TestSupport.replaceAtomically(keyFile, with: jwks([key]))
        let configuration = try Configuration(parsing: """
            [cache]
            enabled = true
            positive_ttl = 300
            negative_ttl = \(negativeTTL)

            [[stack.default]]
            plugin = "hmac"
            control = "required"
            keys = "\(keyFile.path)"
            realm = "api"
            revoked_store = true
            reload_interval = 60
            \(extra)
            """, file: directory.path + "/portcullis.toml")
        let store = SharedStore(configuration: StoreConfiguration(), backend: backend, logger: log.logger, now: clock.function)
        return try Gatekeeper(configuration: configuration, logger: log.logger, store: store)
    }

    func request(_ token: String) -> AuthRequest {
        AuthRequest(headers: [("Authorization", "Bearer \(token)")], peer: IPAddress("127.0.0.1"))
    }

    func token(jti: String?) -> String {
        var claims: [String: JSONValue] = ["sub": .string("alice"), "exp": .number(now + 600)]
        if let jti { claims["jti"] = .string(jti) }
        return TokenIssuer.issue(claims: claims, key: key)
    }

    func revoke(_ gatekeeper: Gatekeeper, _ jti: String, for duration: Duration) async -> Bool {
        await gatekeeper.store.setFlag(StoreKey(namespace: "hmac", key: StoreRevocations.keyPrefix + jti), until: clock.function().adding(duration))
    }

    func testARevokedJtiIsRefusedAsRevokedAndAnotherPasses() async throws {
        let gatekeeper = try gatekeeper()
        let revokedToken = token(jti: "t-1"), otherToken = token(jti: "t-2")
        XCTAssertEqual(gatekeeper.evaluate(request(revokedToken)).decision, .allow)
        let reachedBackend = await revoke(gatekeeper, "t-1", for: .seconds(600))
        XCTAssertTrue(reachedBackend)

        let refused = gatekeeper.evaluate(request(revokedToken))
        XCTAssertEqual(refused.decision, .deny, "\(refused.trace)")
        XCTAssertEqual(refused.reason, .revokedCredentials)
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(refused.challenges, [#"Bearer realm="api", error="invalid_token", error_description="The access token was revoked""#])
        let other = gatekeeper.evaluate(request(otherToken))
        XCTAssertEqual(other.decision, .allow, "\(other.trace)")
        XCTAssertEqual(other.principal, "alice")
    }

    /// The same answer as the file list gives, and the file list keeps working beside the store.
    func testTheRevokedFileKeepsWorkingBesideTheStore() async throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.write("from-file\n", to: directory + "/revoked")
        let gatekeeper = try gatekeeper(extra: "revoked = \"\(directory)/revoked\"")
        _ = await revoke(gatekeeper, "from-store", for: .seconds(600))
        let fromFile = gatekeeper.evaluate(request(token(jti: "from-file")))
        let fromStore = gatekeeper.evaluate(request(token(jti: "from-store")))
        XCTAssertEqual(fromFile.reason, .revokedCredentials)
        XCTAssertEqual(fromStore.reason, .revokedCredentials)
        XCTAssertEqual(fromFile.challenges, fromStore.challenges)
        XCTAssertEqual(ResponsePolicy().response(for: fromFile).body, ResponsePolicy().response(for: fromStore).body)
    }

    /// (The deny itself may be cached for `negative_ttl` on the host's clock, which the test does
    /// not move: it is off here.)
    func testARevocationExpires() async throws {
        let gatekeeper = try gatekeeper(negativeTTL: 0)
        let revoked = token(jti: "t-3")
        _ = await revoke(gatekeeper, "t-3", for: .seconds(30))
        XCTAssertEqual(gatekeeper.evaluate(request(revoked)).reason, .revokedCredentials)
        clock.advance(.seconds(29))
        XCTAssertEqual(gatekeeper.evaluate(request(revoked)).reason, .revokedCredentials)
        clock.advance(.seconds(2))
        let after = gatekeeper.evaluate(request(revoked))
        XCTAssertEqual(after.decision, .allow, "\(after.trace)")
    }

    /// The cache is on (positive_ttl 300, and hmac is cacheable): an allow for a token with a jti
    /// is never kept, so the revocation counts on the very next request. A token without a jti
    /// (which nothing can revoke) is still cached.
    func testACachedAllowIsNotServedAfterARevocation() async throws {
        let gatekeeper = try gatekeeper()
        let revocable = token(jti: "t-4")
        for _ in 0..<3 { XCTAssertEqual(gatekeeper.evaluate(request(revocable)).decision, .allow) }
        XCTAssertEqual(gatekeeper.evaluate(request(revocable)).cacheTTL, 0)
        _ = await revoke(gatekeeper, "t-4", for: .seconds(600))
        let refused = gatekeeper.evaluate(request(revocable))
        XCTAssertEqual(refused.reason, .revokedCredentials, "\(refused.trace)")

        let plain = token(jti: nil)
        XCTAssertEqual(gatekeeper.evaluate(request(plain)).decision, .allow)
        let again = gatekeeper.evaluate(request(plain))
        XCTAssertEqual(again.decision, .allow)
        XCTAssertTrue(again.trace.contains { $0.cached }, "\(again.trace)")
    }

    /// Once the store's copy is older than max_stale, a token with a jti gets 503 (`Retry-After`),
    /// one without is unaffected; in sync again, it passes. Before the first sync: refused too.
    func testAStaleStoreRefusesTokensWithAJtiOnly() throws {
        let backend = StalenessBackend()
        let gatekeeper = try gatekeeper(extra: "max_stale = 2", backend: backend)
        let revocable = token(jti: "t-5"), plain = token(jti: nil)
        backend.stalenessMilliseconds.store(2000, ordering: .relaxed)
        XCTAssertEqual(gatekeeper.evaluate(request(revocable)).decision, .allow, "at max_stale, not past it")
        backend.stalenessMilliseconds.store(2001 + 1000, ordering: .relaxed)
        let stale = gatekeeper.evaluate(request(revocable))
        XCTAssertEqual(stale.decision, .deny)
        XCTAssertEqual(stale.reason, .backendUnavailable, "\(stale.trace)")
        XCTAssertEqual(stale.status, 503)
        let response = ResponsePolicy().response(for: stale)
        XCTAssertTrue(response.headers.contains { $0.name == "Retry-After" }, "\(response.headers)")
        XCTAssertEqual(gatekeeper.evaluate(request(plain)).decision, .allow)
        backend.stalenessMilliseconds.store(-1, ordering: .relaxed)
        XCTAssertEqual(gatekeeper.evaluate(request(revocable)).reason, .backendUnavailable, "never in sync")
        backend.stalenessMilliseconds.store(0, ordering: .relaxed)
        XCTAssertEqual(gatekeeper.evaluate(request(revocable)).decision, .allow)
    }

    func testMaxStaleWithoutRevokedStoreIsAConfigurationError() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.write(jwks([key]), to: directory + "/keys.jwks")
        let configuration = try Configuration(parsing: """
            [[stack.default]]
            plugin = "hmac"
            control = "required"
            keys = "\(directory)/keys.jwks"
            max_stale = 5
            """, file: directory + "/portcullis.toml")
        XCTAssertThrowsError(try Gatekeeper(configuration: configuration, logger: log.logger)) { error in
            XCTAssertTrue("\(error)".contains("max_stale applies only with revoked_store = true") || "\(error)".contains("'max_stale' applies only"), "\(error)")
        }
    }
}
