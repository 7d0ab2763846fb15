import Foundation
import PamPlugin
import PortcullisPluginKit
import XCTest

/// Real libpam, in process, with pam_matrix.so (libpam-wrapper) reading a passdb this test writes.
final class PamMatrixTests: XCTestCase {
    var fixture: PamFixture!
    var passdb: String!

    override func setUpWithError() throws {
        fixture = try PamFixture()
        try service("portcullis")
    }

    /// A pam_matrix service `name` whose passdb lets alice, root (a real system account, so its
    /// uid/gid/groups can be checked without creating one) and chloé in, and knows bob only for
    /// another service. `before` goes above the pam_matrix lines.
    func service(_ name: String, before: String = "") throws {
        passdb = try fixture.writePassdb([
            "alice:correct horse:\(name)",
            "root:r00t-matrix:\(name)",
            "bob:bobs password:otherservice",
            "chloé:mot de passe é:\(name)",
        ], name: "passdb-\(name)")
        try fixture.writeMatrixService(name, passdb: passdb, before: before)
    }

    override func tearDown() {
        XCTAssertEqual(PamAuthenticator.openHandles, 0, "every PAM handle was ended")
        fixture = nil
    }

    func testRightPasswordAllows() {
        let outcome = fixture.authenticator(service: "portcullis").check("alice", "correct horse")
        assertAllow(outcome, principal: "alice")
        // alice is not a system account: no attributes rather than invented ones.
        if case .allow(let identity, _, _) = outcome { XCTAssertEqual(identity.attributes, []) }
    }

    func testUTF8UserAndPassword() {
        assertAllow(fixture.authenticator(service: "portcullis").check("chloé", "mot de passe é"), principal: "chloé")
    }

    func testSystemAccountCarriesUidGidAndGroups() {
        let outcome = fixture.authenticator(service: "portcullis").check("root", "r00t-matrix")
        guard case .allow(let identity, _, _) = outcome else { return XCTFail("expected allow, got \(outcome)") }
        XCTAssertEqual(identity.principal, "root")
        XCTAssertEqual(identity.attributes.first { $0.name == "uid" }?.value, "0")
        XCTAssertEqual(identity.attributes.first { $0.name == "gid" }?.value, "0")
        XCTAssertEqual(identity.attributes.first { $0.name == "groups" }?.value.split(separator: ",").first, "root")
    }

    func testWrongPasswordAndUnknownUserShareOneReason() {
        let authenticator = fixture.authenticator(service: "portcullis")
        let wrong = authenticator.check("alice", "battery staple")
        let unknown = authenticator.check("mallory", "correct horse")
        assertDeny(wrong, .invalidCredentials)
        assertDeny(unknown, .invalidCredentials)
        XCTAssertEqual(wrong.detail, unknown.detail, "nothing tells an unknown user from a wrong password")
        XCTAssertTrue(wrong.detail?.contains("PAM_AUTH_ERR") ?? false, wrong.detail ?? "")
    }

    func testPasswordIsExactBytes() {
        let authenticator = fixture.authenticator(service: "portcullis")
        assertDeny(authenticator.check("alice", "correct horse "), .invalidCredentials)
        assertDeny(authenticator.check("alice", "Correct horse"), .invalidCredentials)
        assertDeny(authenticator.check("alice", ""), .invalidCredentials)
    }

    func testUserOfAnotherServiceIsDeniedByAccountManagement() {
        // pam_matrix accepts bob's password but refuses him this service in pam_acct_mgmt.
        let outcome = fixture.authenticator(service: "portcullis").check("bob", "bobs password")
        assertDeny(outcome, .insufficientPermissions)
        XCTAssertTrue(outcome.detail?.hasPrefix("pam_acct_mgmt: PAM_PERM_DENIED") ?? false, outcome.detail ?? "")
        // With account = false only the password counts.
        assertAllow(fixture.authenticator(service: "portcullis", account: false).check("bob", "bobs password"), principal: "bob")
    }

    func testNULAndNonUTF8AreMalformedWithoutAskingPAM() {
        let authenticator = fixture.authenticator(service: "portcullis")
        // "correct horse\0junk" must not pass as "correct horse" through a C string.
        let nul = authenticator.authenticate(user: Array("alice".utf8), password: Array("correct horse".utf8) + [0] + Array("junk".utf8), remoteHost: nil)
        assertDeny(nul, .malformedCredentials)
        assertDeny(authenticator.authenticate(user: Array("alice".utf8) + [0], password: Array("correct horse".utf8), remoteHost: nil), .malformedCredentials)
        assertDeny(authenticator.authenticate(user: [0x61, 0xFF], password: Array("x".utf8), remoteHost: nil), .malformedCredentials)
        assertDeny(authenticator.authenticate(user: Array("chlo".utf8) + [0xE9], password: Array("x".utf8), remoteHost: nil), .malformedCredentials)
        assertDeny(authenticator.authenticate(user: Array("alice".utf8), password: [0xC3, 0x28], remoteHost: nil), .malformedCredentials)
        assertDeny(authenticator.check("", "correct horse"), .invalidCredentials)
    }

    /// PAM_AUTHINFO_UNAVAIL from pam_authenticate is what pam_unix answers for existing accounts
    /// when it cannot read /etc/shadow, so it must look like a wrong password to the client (a
    /// backend that is really down, as here, too); the log detail keeps the real code.
    func testMissingPassdbLooksLikeAWrongPasswordButTheLogSaysWhy() throws {
        try fixture.writeMatrixService("nodb", passdb: fixture.directory + "/does-not-exist")
        let outcome = fixture.authenticator(service: "nodb").check("alice", "correct horse")
        assertDeny(outcome, .invalidCredentials)
        guard case .deny(_, _, let detail?, _) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertTrue(detail.hasPrefix("pam_authenticate: PAM_AUTHINFO_UNAVAIL"), detail)
    }

    func testBrokenStackIsPluginErrorNeverAllow() throws {
        try fixture.writeService("broken", "auth required /nonexistent/pam_nothing.so\naccount required pam_permit.so\n")
        assertError(fixture.authenticator(service: "broken").check("alice", "correct horse"), .pluginError)
    }

    func testConversationMessagesGoToDetailButNeverThePassword() throws {
        let chatty = PamFixture.wrapperDirectory + "/pam_chatty.so"
        try service("chatty", before: "auth optional \(chatty) num_lines=2 info error\n")
        for password in ["correct horse", "wrong one"] {
            let outcome = fixture.authenticator(service: "chatty").check("alice", password)
            let detail = outcome.detail ?? ""
            XCTAssertTrue(detail.contains("info: "), detail)
            XCTAssertTrue(detail.contains("error: "), detail)
            XCTAssertFalse(detail.contains(password), detail)
        }
    }

    func testFailDelayIsReportedNotSlept() throws {
        // pam_faildelay asks libpam for 3 s; our PAM_FAIL_DELAY callback records it instead of sleeping.
        try service("delayed", before: "auth optional pam_faildelay.so delay=3000000\n")
        let authenticator = fixture.authenticator(service: "delayed")
        let denied = authenticator.check("alice", "wrong")
        assertDeny(denied, .invalidCredentials)
        let delay = try XCTUnwrap(denied.failDelay, "a deny carries the delay PAM asked for")
        // libpam randomizes the delay by up to ±50 % (_pam_compute_delay: the mean of three draws).
        XCTAssertGreaterThanOrEqual(delay, .milliseconds(1500), "\(delay)")
        XCTAssertLessThanOrEqual(delay, .milliseconds(4500), "\(delay)")
        assertAllow(authenticator.check("alice", "correct horse"), principal: "alice")
    }

    func testFastDenialsArePaddedToATypicalSuccess() throws {
        // Known users pass through a 0.3 s module; unknown ones are refused at once by pam_succeed_if.
        try service("uneven", before: """
            auth [success=ok default=die] pam_succeed_if.so quiet user in alice:root
            auth required pam_exec.so quiet /bin/sleep 0.3

            """)
        let authenticator = fixture.authenticator(service: "uneven")
        assertDeny(authenticator.check("mallory", "x"), .invalidCredentials)
        XCTAssertNil(authenticator.check("mallory", "x").failDelay, "nothing to pad to before a success")
        assertAllow(authenticator.check("alice", "correct horse"), principal: "alice")
        let unknown = authenticator.check("mallory", "x")
        assertDeny(unknown, .invalidCredentials)
        // Padded by about 0.3 s minus the fast path's own time.
        XCTAssertGreaterThan(unknown.failDelay ?? .zero, .milliseconds(100), "\(unknown)")
    }

    func testRemoteHostAndTTYReachTheModules() throws {
        // pam_succeed_if compares PAM items: this stack only lets root in from 192.0.2.7 on tty "http".
        try service("fromhost", before: "auth requisite pam_succeed_if.so quiet rhost = 192.0.2.7 tty = http\n")
        let authenticator = fixture.authenticator(service: "fromhost")
        assertAllow(authenticator.check("root", "r00t-matrix", from: "192.0.2.7"), principal: "root")
        assertDeny(authenticator.check("root", "r00t-matrix", from: "192.0.2.8"), .invalidCredentials)
        assertDeny(authenticator.check("root", "r00t-matrix", from: nil), .invalidCredentials)
    }

    func testExcessChecksWaitForASlot() throws {
        // Each check holds its slot for at least 0.3 s (pam_exec runs sleep); with one slot the rest wait and all pass.
        try service("slow", before: "auth required pam_exec.so quiet /bin/sleep 0.3\n")
        let authenticator = fixture.authenticator(service: "slow", maxConcurrent: 1, queueTimeout: .seconds(60))
        let outcomes = runConcurrently(count: 3) { _ in authenticator.check("alice", "correct horse") }
        for outcome in outcomes { assertAllow(outcome, principal: "alice") }
    }

    func testWaitIsBoundedByQueueTimeout() throws {
        try service("slow", before: "auth required pam_exec.so quiet /bin/sleep 3\n")
        let authenticator = fixture.authenticator(service: "slow", maxConcurrent: 1, queueTimeout: .seconds(1))
        let done = DispatchSemaphore(value: 0)
        let holder = Thread {
            assertAllow(authenticator.check("alice", "correct horse"), principal: "alice")
            done.signal()
        }
        holder.start()
        // Wait until the holder's transaction has its handle (and so its slot), then ask for a second one.
        while PamAuthenticator.openHandles == 0 { usleep(1000) }
        assertError(authenticator.check("alice", "correct horse"), .backendUnavailable)
        done.wait()
    }

    func testManyConcurrentChecksGiveCorrectAnswersAndLeakNothing() {
        let authenticator = fixture.authenticator(service: "portcullis", maxConcurrent: 256)
        _ = authenticator.check("alice", "correct horse") // load what libpam caches once
        let descriptors = openFileDescriptorCount()
        let cases: [(user: String, password: String, expect: ReasonCode?)] = [
            ("alice", "correct horse", nil),
            ("alice", "wrong", .invalidCredentials),
            ("mallory", "correct horse", .invalidCredentials),
            ("bob", "bobs password", .insufficientPermissions),
            ("chloé", "mot de passe é", nil),
        ]
        let outcomes = runConcurrently(count: 250) { index in
            let testCase = cases[index % cases.count]
            return authenticator.check(testCase.user, testCase.password)
        }
        for (index, outcome) in outcomes.enumerated() {
            let testCase = cases[index % cases.count]
            if let reason = testCase.expect {
                assertDeny(outcome, reason)
            } else {
                assertAllow(outcome, principal: testCase.user)
            }
        }
        XCTAssertEqual(PamAuthenticator.openHandles, 0)
        XCTAssertEqual(openFileDescriptorCount(), descriptors, "no descriptor left open by a PAM handle")
    }

    func testTwoHundredChecksTrulyInFlightAtOnce() throws {
        // pam_exec's sleep keeps every transaction open long enough for all of them to overlap.
        try service("slow", before: "auth required pam_exec.so quiet /bin/sleep 1\n")
        let authenticator = fixture.authenticator(service: "slow", maxConcurrent: 1024)
        let peak = PeakSampler()
        let outcomes = runConcurrently(count: 200) { index in
            index.isMultiple(of: 2) ? authenticator.check("alice", "correct horse") : authenticator.check("alice", "nope")
        }
        let observed = peak.stop()
        for (index, outcome) in outcomes.enumerated() {
            if index.isMultiple(of: 2) { assertAllow(outcome, principal: "alice") } else { assertDeny(outcome, .invalidCredentials) }
        }
        print("pam: peak PAM handles open at once: \(observed) of 200")
        XCTAssertGreaterThan(observed, 1, "checks overlapped")
        XCTAssertEqual(PamAuthenticator.openHandles, 0)
    }
}

/// Runs `body` on `count` threads of their own (not a pool: we want that many in flight), all
/// released at once; returns the results in index order.
func runConcurrently<T: Sendable>(count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = ResultBox<T>(count: count)
    let start = DispatchSemaphore(value: 0)
    let finished = DispatchGroup()
    for index in 0..<count {
        finished.enter()
        let thread = Thread {
            start.wait()
            results.set(index, body(index))
            finished.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    for _ in 0..<count { start.signal() }
    finished.wait()
    return results.values
}

final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [T?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: T) { lock.withLock { storage[index] = value } }
    var values: [T] { lock.withLock { storage.compactMap { $0 } } }
}

/// Samples how many PAM handles are open, every millisecond, until stopped.
final class PeakSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var peak = 0
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init() {
        Thread {
            while self.lock.withLock({ self.running }) {
                let now = PamAuthenticator.openHandles
                self.lock.withLock { self.peak = max(self.peak, now) }
                usleep(1000)
            }
            self.done.signal()
        }.start()
    }

    func stop() -> Int {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { peak }
    }
}
