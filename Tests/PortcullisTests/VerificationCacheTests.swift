import Foundation
import Logging
import Synchronization
import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// The verification cache through the real loader and a real plugin that counts its calls
/// (Tests/Fixtures/counting.c, compiled by the test), plus crypt's own trace.
final class VerificationCacheTests: XCTestCase {
    /// A directory with the counting plugin built in it, and the file it counts calls in.
    struct Fixture {
        var directory: String
        var countFile: String
        var calls: Int { TestSupport.countedCalls(countFile) }
    }

    static func countingPlugin(_ test: XCTestCase, blocking: Bool = false) throws -> Fixture {
        let directory = try TestSupport.temporaryDirectory(test)
        try TestSupport.compileCountingPlugin(into: directory, blocking: blocking)
        return Fixture(directory: directory, countFile: directory + "/calls")
    }

    func gatekeeper(_ fixture: Fixture, cache: String = "", entry: String = "",
                    clock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) throws -> Gatekeeper {
        try Gatekeeper(configuration: Configuration(parsing: """
            plugin_dir = "\(fixture.directory)"
            \(cache)
            [[stack.default]]
            plugin = "counting"
            control = "required"
            count_file = "\(fixture.countFile)"
            password = "right"
            \(entry)
            """, file: "test.toml"), logger: Logger(label: "test"), clock: clock)
    }

    func request(_ user: String, _ password: String, peer: String = "192.0.2.1") -> AuthRequest {
        AuthRequest(headers: [("Authorization", .basic(user, password))], peer: IPAddress(peer))
    }

    func testRepeatedCredentialIsCheckedOnceWithinTheTTL() throws {
        let fixture = try Self.countingPlugin(self)
        let gatekeeper = try gatekeeper(fixture)
        for round in 0..<5 {
            let outcome = gatekeeper.evaluate(request("alice", "right"))
            XCTAssertEqual(outcome.decision, .allow)
            XCTAssertEqual(outcome.principal, "alice")
            XCTAssertEqual(outcome.trace.first?.cached, round > 0)
        }
        XCTAssertEqual(fixture.calls, 1)
        XCTAssertEqual(gatekeeper.cache?.statistics.hits, 4)
        XCTAssertEqual(gatekeeper.cache?.statistics.misses, 1)
    }

    func testAnotherPasswordUserOrClientIsAMiss() throws {
        let fixture = try Self.countingPlugin(self)
        let gatekeeper = try gatekeeper(fixture)
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right")).decision, .allow)
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "wrong")).reason, .invalidCredentials)
        XCTAssertEqual(fixture.calls, 2)
        XCTAssertEqual(gatekeeper.evaluate(request("bob", "right")).principal, "bob")
        XCTAssertEqual(fixture.calls, 3)
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right", peer: "192.0.2.2")).decision, .allow)
        XCTAssertEqual(fixture.calls, 4)
        // A deny is cached too (negative TTL), with the same reason and challenge.
        let again = gatekeeper.evaluate(request("alice", "wrong"))
        XCTAssertEqual(again.reason, .invalidCredentials)
        XCTAssertEqual(again.challenges, ["Basic realm=\"count\""])
        XCTAssertEqual(again.trace.first?.cached, true)
        XCTAssertEqual(fixture.calls, 4)
    }

    func testEntriesOfOtherStacksDoNotShareAnswers() throws {
        let fixture = try Self.countingPlugin(self)
        let gatekeeper = try TestSupport.gatekeeper("""
            plugin_dir = "\(fixture.directory)"
            [[stack.default]]
            plugin = "counting"
            control = "required"
            count_file = "\(fixture.countFile)"
            password = "right"
            [[stack.other]]
            plugin = "counting"
            control = "required"
            count_file = "\(fixture.countFile)"
            password = "other"
            """)
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right")).decision, .allow)
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right"), stack: "other").decision, .deny)
        XCTAssertEqual(fixture.calls, 2)
    }

    func testAnswersExpire() throws {
        let fixture = try Self.countingPlugin(self)
        let clock = Mutex(ContinuousClock.now)
        let gatekeeper = try gatekeeper(fixture, cache: "[cache]\npositive_ttl = 1\nnegative_ttl = 1", clock: { clock.withLock { $0 } })
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right")).decision, .allow)
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "wrong")).decision, .deny)
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right")).decision, .allow)
        XCTAssertEqual(fixture.calls, 2)
        clock.withLock { $0 += .milliseconds(1200) }
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right")).decision, .allow)
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "wrong")).decision, .deny)
        XCTAssertEqual(fixture.calls, 4)
    }

    func testExpiryWithAnInjectedClock() {
        let clock = Mutex(ContinuousClock.now)
        var settings = CacheSettings()
        settings.positiveTTL = 60
        settings.negativeTTL = 5
        let cache = VerificationCache(settings: settings, now: { clock.withLock { $0 } })
        let key = cache.key(entry: "default#0", credential: Credential(kind: .basic, scheme: "Basic", user: [1], password: [2]), client: nil)
        var deny = PluginAnswer(verdict: .deny, reason: .invalidCredentials)
        deny.cacheTTL = 100
        cache.store(key, deny)
        clock.withLock { $0 += .seconds(4) }
        XCTAssertNotNil(cache.lookup(key))
        clock.withLock { $0 += .seconds(2) }
        XCTAssertNil(cache.lookup(key), "negative_ttl bounds a larger hint")

        var allow = PluginAnswer(verdict: .allow, principal: "a")
        allow.cacheTTL = 10
        cache.store(key, allow)
        clock.withLock { $0 += .seconds(9) }
        XCTAssertNotNil(cache.lookup(key))
        clock.withLock { $0 += .seconds(2) }
        XCTAssertNil(cache.lookup(key), "the plugin's hint bounds positive_ttl")
    }

    func testHintOfZeroIsNeverCached() throws {
        let fixture = try Self.countingPlugin(self)
        let gatekeeper = try gatekeeper(fixture, entry: "cache_ttl = 0")
        for _ in 0..<3 { XCTAssertEqual(gatekeeper.evaluate(request("alice", "right")).decision, .allow) }
        XCTAssertEqual(fixture.calls, 3)
    }

    func testErrorsAreNeverCached() throws {
        let fixture = try Self.countingPlugin(self)
        let gatekeeper = try gatekeeper(fixture, entry: "mode = \"error\"")
        for _ in 0..<3 {
            let outcome = gatekeeper.evaluate(request("alice", "right"))
            XCTAssertEqual(outcome.decision, .deny)
            XCTAssertEqual(outcome.reason, .pluginError)
        }
        XCTAssertEqual(fixture.calls, 3)
    }

    func testIgnoresAreNotCached() throws {
        let fixture = try Self.countingPlugin(self)
        let gatekeeper = try gatekeeper(fixture)
        for _ in 0..<2 { XCTAssertEqual(gatekeeper.evaluate(AuthRequest(peer: IPAddress("192.0.2.1"))).reason, .missingCredentials) }
        XCTAssertEqual(fixture.calls, 2)
    }

    func testDisabledCacheCallsEveryTime() throws {
        let fixture = try Self.countingPlugin(self)
        let gatekeeper = try gatekeeper(fixture, cache: "[cache]\nenabled = false")
        XCTAssertNil(gatekeeper.cache)
        for _ in 0..<3 { XCTAssertEqual(gatekeeper.evaluate(request("alice", "right")).decision, .allow) }
        XCTAssertEqual(fixture.calls, 3)
    }

    func testSizeIsBoundedAndTheOldestGoFirst() throws {
        let fixture = try Self.countingPlugin(self)
        let gatekeeper = try gatekeeper(fixture, cache: "[cache]\nmax_entries = 3")
        for index in 0..<10 { _ = gatekeeper.evaluate(request("user\(index)", "right")) }
        XCTAssertEqual(fixture.calls, 10)
        XCTAssertEqual(gatekeeper.cache?.count, 3)
        _ = gatekeeper.evaluate(request("user9", "right"))
        XCTAssertEqual(fixture.calls, 10, "the newest is still there")
        _ = gatekeeper.evaluate(request("user0", "right"))
        XCTAssertEqual(fixture.calls, 11, "the oldest was evicted")
        XCTAssertEqual(gatekeeper.cache?.count, 3)
    }

    func testReinsertingOneKeyKeepsTheOrderBounded() {
        let clock = Mutex(ContinuousClock.now)
        var settings = CacheSettings()
        settings.maxEntries = 4
        let cache = VerificationCache(settings: settings, now: { clock.withLock { $0 } })
        let key = cache.key(entry: "e", credential: .none, client: nil)
        for _ in 0..<10_000 {
            cache.store(key, PluginAnswer(verdict: .allow, principal: "a"))
            clock.withLock { $0 += .seconds(61) }
        }
        XCTAssertEqual(cache.count, 1)
        XCTAssertLessThanOrEqual(cache.orderLength, 2 * 4 + 64 + 1)
    }

    func testCachedDenyKeepsItsFailDelay() throws {
        let fixture = try Self.countingPlugin(self)
        let gatekeeper = try gatekeeper(fixture, entry: "fail_delay_ms = 40")
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "wrong")).failDelay, .milliseconds(40))
        let cached = gatekeeper.evaluate(request("alice", "wrong"))
        XCTAssertEqual(cached.trace.first?.cached, true)
        XCTAssertEqual(cached.failDelay, .milliseconds(40))
        XCTAssertEqual(fixture.calls, 1)
    }

    /// A reload builds a new gatekeeper, and so a new, empty cache.
    func testANewGatekeeperStartsEmpty() throws {
        let fixture = try Self.countingPlugin(self)
        let first = try gatekeeper(fixture)
        _ = first.evaluate(request("alice", "right"))
        let second = try gatekeeper(fixture)
        XCTAssertEqual(second.evaluate(request("alice", "right")).trace.first?.cached, false)
        XCTAssertEqual(fixture.calls, 2)
    }

    /// crypt is cacheable: the second check of the same password is answered without hashing.
    func testCryptIsNotRunAgain() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let file = directory + "/users"
        let made = try TestSupport.run("/usr/bin/env", ["htpasswd", "-bcB", "-C", "8", file, "alice", "s3cret"])
        XCTAssertEqual(made.status, 0, made.stderr)
        let gatekeeper = try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "crypt"
            control = "required"
            file = "\(file)"
            """)
        let first = gatekeeper.evaluate(request("alice", "s3cret"))
        let second = gatekeeper.evaluate(request("alice", "s3cret"))
        XCTAssertEqual(first.principal, "alice")
        XCTAssertEqual(second.principal, "alice")
        XCTAssertEqual(first.trace.first?.cached, false)
        XCTAssertEqual(second.trace.first?.cached, true)
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "wrong")).trace.first?.cached, false)
    }

    /// A blocking stack can be answered on the event loop when the cache has every blocking answer.
    func testEvaluateWithoutBlockingAnswersOnlyFromTheCache() throws {
        let fixture = try Self.countingPlugin(self, blocking: true)
        let gatekeeper = try gatekeeper(fixture)
        XCTAssertTrue(gatekeeper.stack(named: "default")?.isBlocking == true)
        XCTAssertNil(gatekeeper.evaluateWithoutBlocking(request("alice", "right")).outcome)
        XCTAssertEqual(fixture.calls, 0, "a probe never calls a blocking plugin")
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "right")).decision, .allow)
        let cached = try XCTUnwrap(gatekeeper.evaluateWithoutBlocking(request("alice", "right")).outcome)
        XCTAssertEqual(cached.principal, "alice")
        XCTAssertEqual(cached.trace.first?.cached, true)
        XCTAssertEqual(gatekeeper.evaluate(request("alice", "wrong")).status, 401)
        XCTAssertEqual(gatekeeper.evaluateWithoutBlocking(request("alice", "wrong")).outcome?.status, 401, "statuses are mapped as in evaluate")
        XCTAssertEqual(fixture.calls, 2)
        XCTAssertEqual(gatekeeper.cache?.statistics.misses, 2, "the probe's misses are not counted twice")
    }

    /// The non-blocking entries a first attempt ran are not run again when the blocking rest
    /// finishes on the pool: one request, one call per plugin.
    func testNoPluginRunsTwiceWhenTheBlockingRestFinishesOnThePool() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.compileCountingPlugin(into: directory, name: "inline", blocking: false)
        try TestSupport.compileCountingPlugin(into: directory, name: "slow", blocking: true)
        let gatekeeper = try TestSupport.gatekeeper("""
            plugin_dir = "\(directory)"
            [cache]
            enabled = false
            [[stack.default]]
            plugin = "inline"
            control = "required"
            count_file = "\(directory)/inline-calls"
            password = "right"
            [[stack.default]]
            plugin = "slow"
            control = "required"
            count_file = "\(directory)/slow-calls"
            password = "right"
            """)
        guard case .needsBlocking(let pending) = gatekeeper.evaluateWithoutBlocking(request("alice", "right")) else {
            return XCTFail("a blocking entry without a cached answer needs the pool")
        }
        XCTAssertEqual(TestSupport.countedCalls(directory + "/inline-calls"), 1)
        XCTAssertEqual(TestSupport.countedCalls(directory + "/slow-calls"), 0)
        let outcome = gatekeeper.finish(pending)
        XCTAssertEqual(outcome.decision, .allow)
        XCTAssertEqual(outcome.trace.count, 2)
        XCTAssertEqual(TestSupport.countedCalls(directory + "/inline-calls"), 1, "not called again on the pool")
        XCTAssertEqual(TestSupport.countedCalls(directory + "/slow-calls"), 1)
    }

    func testKeysDependOnEveryInput() {
        let cache = VerificationCache(settings: CacheSettings())
        let basic = Credential(kind: .basic, scheme: "Basic", user: Array("ab".utf8), password: Array("c".utf8))
        let shifted = Credential(kind: .basic, scheme: "Basic", user: Array("a".utf8), password: Array("bc".utf8))
        let base = cache.key(entry: "default#0", credential: basic, client: IPAddress("192.0.2.1"))
        // The keyed HMAC state is reused for every key: it must give what a fresh state gives,
        // however many keys were made from it before.
        for _ in 0..<3 {
            XCTAssertEqual(cache.key(entry: "default#1", credential: shifted, client: nil),
                           cache.keyFromFreshState(entry: "default#1", credential: shifted, client: nil))
            XCTAssertEqual(base, cache.keyFromFreshState(entry: "default#0", credential: basic, client: IPAddress("192.0.2.1")))
        }
        XCTAssertEqual(base, cache.key(entry: "default#0", credential: basic, client: IPAddress("192.0.2.1")))
        XCTAssertNotEqual(base, cache.key(entry: "default#1", credential: basic, client: IPAddress("192.0.2.1")))
        XCTAssertNotEqual(base, cache.key(entry: "default#0", credential: shifted, client: IPAddress("192.0.2.1")))
        XCTAssertNotEqual(base, cache.key(entry: "default#0", credential: basic, client: IPAddress("192.0.2.2")))
        XCTAssertNotEqual(base, cache.key(entry: "default#0", credential: basic, client: nil))
        XCTAssertNotEqual(base, cache.key(entry: "default#0", generation: 1, credential: basic, client: IPAddress("192.0.2.1")),
                          "a reloaded file or rotated key (the plugin's generation) reaches no answer cached before")
        XCTAssertEqual(cache.key(entry: "default#0", generation: 7, credential: basic, client: nil),
                       cache.keyFromFreshState(entry: "default#0", generation: 7, credential: basic, client: nil))
        // Schemes are case-insensitive: one answer for "Basic" and "BASIC", another for any other scheme.
        let upper = Credential(kind: .basic, scheme: "BASIC", user: Array("ab".utf8), password: Array("c".utf8))
        let other = Credential(kind: .basic, scheme: "Basid", user: Array("ab".utf8), password: Array("c".utf8))
        XCTAssertEqual(base, cache.key(entry: "default#0", credential: upper, client: IPAddress("192.0.2.1")))
        XCTAssertNotEqual(base, cache.key(entry: "default#0", credential: other, client: IPAddress("192.0.2.1")))
        XCTAssertNotEqual(base, VerificationCache(settings: CacheSettings()).key(entry: "default#0", credential: basic, client: IPAddress("192.0.2.1")),
                          "each cache has its own random key")
    }
}
