import Foundation
import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// ABI 1.1: a 1.0 plugin loads and answers as before; later entries see the identity so far;
/// `observe` is called exactly once per decision for every observing instance of the stack.
final class ABI11Tests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
    }

    func gatekeeper(_ toml: String) throws -> Gatekeeper {
        try TestSupport.gatekeeper("plugin_dir = \"\(directory)\"\n" + toml)
    }

    func attribute(_ outcome: Outcome, _ name: String) -> String? {
        outcome.attributes.first { $0.name == name }?.value
    }

    /// The debug plugin exactly as built against the 1.0 header, loaded by today's host.
    func testABI10PluginLoadsAndAnswersAsBefore() throws {
        try TestSupport.compileABI10DebugPlugin(into: directory)
        let library = try PluginLoader.load(name: "debug10", directory: directory)
        XCTAssertEqual(library.abiMinor, 0)
        XCTAssertFalse(library.observes)
        XCTAssertFalse(library.reportsGeneration)
        let keeper = try gatekeeper("""
            [[stack.default]]
            plugin = "debug10"
            control = "required"
            result = "allow"
            principal = "$user"
            echo = true
            """)
        let outcome = keeper.evaluate(AuthRequest(method: "POST", path: "/x", headers: [("Authorization", .basic("ann", "pw"))], peer: IPAddress("192.0.2.5")))
        XCTAssertEqual(outcome.decision, .allow)
        XCTAssertEqual(outcome.principal, "ann")
        XCTAssertEqual(outcome.attributes.map(\.name), ["method", "path", "host", "peer", "client", "credential", "user", "headers", "stack"])
        XCTAssertEqual(attribute(outcome, "method"), "POST")
        XCTAssertEqual(attribute(outcome, "client"), "192.0.2.5")

        let denying = try gatekeeper("[[stack.default]]\nplugin = \"debug10\"\ncontrol = \"required\"\nresult = \"deny\"\nreason = \"expired_credentials\"\n")
        XCTAssertEqual(denying.evaluate(AuthRequest(peer: nil)).reason, .expiredCredentials)
    }

    /// Entries after the credential entries read who the caller is; the first entry sees no one.
    func testLaterEntriesSeeTheIdentitySoFar() throws {
        let keeper = try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            echo = true
            anonymous = true
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "$user"
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            echo = true
            """)
        let outcome = keeper.evaluate(AuthRequest(headers: [("Authorization", .basic("carol", "pw"))], peer: nil))
        XCTAssertEqual(outcome.principal, "carol")
        let identities = outcome.attributes.filter { $0.name == "identity" }.map(\.value)
        XCTAssertEqual(identities, ["none", "carol"], "entry 0 sees no one; entry 2 sees carol")
        let counts = outcome.attributes.filter { $0.name == "identity_attributes" }.map(\.value)
        XCTAssertEqual(counts, ["0", "11"], "entry 2 sees the 11 attributes entry 0 added")
    }

    /// observe: once per decision, for every observing instance, with the final decision, even
    /// from entries the controls did not reach; under concurrency.
    func testObserveIsCalledExactlyOncePerDecision() throws {
        try TestSupport.compileObserverPlugin(into: directory)
        let log = directory + "/observed"
        let keeper = try gatekeeper("""
            [[stack.default]]
            plugin = "observer"
            control = "requisite"
            result = "ignore"
            observe_file = "\(log)"
            [[stack.default]]
            plugin = "debug"
            path = "\(TestSupport.binDirectory)/libportcullis-debug.so"
            control = "sufficient"
            result = "allow"
            principal = "$user"
            [[stack.default]]
            plugin = "observer"
            control = "required"
            result = "deny"
            observe_file = "\(log)"
            """)
        XCTAssertTrue(keeper.plugins.first { $0.name == "observer" }?.observes == true)
        let decisions = 400
        DispatchQueue.concurrentPerform(iterations: decisions) { index in
            let authorization: [(String, String)] = index.isMultiple(of: 2) ? [("Authorization", .basic("dave", "pw"))] : []
            _ = keeper.evaluate(AuthRequest(headers: authorization, peer: nil))
        }
        let lines = TestSupport.observedLines(log)
        XCTAssertEqual(lines.count, 2 * decisions, "two observing entries, one call each per decision")
        // Allowed by the sufficient debug entry (index 1): entry 2 never ran, yet was told.
        XCTAssertEqual(lines.filter { $0 == "0 allow 0 200 1 dave dave" }.count, decisions / 2)
        XCTAssertEqual(lines.filter { $0 == "2 allow 0 200 1 dave dave" }.count, decisions / 2)
        // Without credentials the sufficient debug entry allows without a principal and ends the
        // stack: the host denies (missing_credentials, 403: no entry that ran offered a challenge).
        XCTAssertEqual(lines.filter { $0 == "0 deny 1 403 -1 - -" }.count, decisions / 2, "\(Set(lines))")
        XCTAssertEqual(lines.filter { $0 == "2 deny 1 403 -1 - -" }.count, decisions / 2)
    }

    /// A rotated data generation makes every cached answer unreachable at once.
    func testCachedAnswersFollowThePluginsDataGeneration() throws {
        let users = directory + "/users"
        let first = try TestSupport.run("/usr/bin/env", ["htpasswd", "-nbB", "-C", "5", "erin", "secret"])
        try TestSupport.write(first.stdout, to: users)
        let keeper = try TestSupport.gatekeeper("""
            [cache]
            positive_ttl = 300
            [[stack.default]]
            plugin = "crypt"
            control = "required"
            file = "\(users)"
            """)
        let request = AuthRequest(headers: [("Authorization", .basic("erin", "secret"))], peer: nil)
        XCTAssertEqual(keeper.evaluate(request).principal, "erin")
        XCTAssertEqual(keeper.evaluate(request).trace.first?.cached, true)
        // erin leaves the file: the cached allow must not outlive her.
        let other = try TestSupport.run("/usr/bin/env", ["htpasswd", "-nbB", "-C", "5", "frank", "other"])
        try TestSupport.replaceAtomically(URL(fileURLWithPath: users), with: other.stdout)
        var outcome = keeper.evaluate(request)
        _ = TestSupport.eventually {
            outcome = keeper.evaluate(request)
            return !outcome.isAllowed
        }
        XCTAssertEqual(outcome.reason, .invalidCredentials, "the reload is seen within the check interval, not after positive_ttl")
        XCTAssertEqual(outcome.trace.first?.cached, false)
    }
}
