import Foundation
import Portcullis
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

/// The real `libportcullis-pam.so`, loaded by the host's loader and driven through a stack:
/// the ABI adapter (credential kinds, client address, result writing) that unit tests cannot reach.
final class PamLoaderTests: XCTestCase {
    var fixture: PamFixture!

    override func setUpWithError() throws {
        fixture = try PamFixture()
        let passdb = try fixture.writePassdb(["root:r00t-matrix:api", "alice:correct horse:api"])
        try fixture.writeMatrixService("api", passdb: passdb)
        try fixture.writeMatrixService("fromhost", passdb: try fixture.writePassdb(["root:r00t-matrix:fromhost"], name: "passdb-fromhost"),
                                       before: "auth requisite pam_succeed_if.so quiet rhost = 192.0.2.7\n")
        try fixture.writeMatrixService("delayed", passdb: try fixture.writePassdb(["root:r00t-matrix:delayed"], name: "passdb-delayed"),
                                       before: "auth optional pam_faildelay.so delay=1000000\n")
    }

    override func tearDown() { fixture = nil }

    func gatekeeper(service: String = "api", extra: String = "") throws -> Gatekeeper {
        try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "pam"
            control = "required"
            service = "\(service)"
            confdir = "\(fixture.directory)"
            realm = "api"
            \(extra)
            """)
    }

    func request(_ authorization: String?, from peer: String = "192.0.2.7") -> AuthRequest {
        AuthRequest(headers: authorization.map { [("Authorization", $0)] } ?? [], peer: IPAddress(peer))
    }

    func basic(_ bytes: [UInt8]) -> String { "Basic " + Data(bytes).base64EncodedString() }

    let challenge = #"Basic realm="api", charset="UTF-8""#

    func testPluginDescriptor() throws {
        let plugin = try XCTUnwrap(try gatekeeper().plugins.first)
        XCTAssertEqual(plugin.name, "pam")
        XCTAssertTrue(plugin.path.hasSuffix("/libportcullis-pam.so"), plugin.path)
        XCTAssertTrue(plugin.isBlocking)
        XCTAssertTrue(plugin.isCacheable)
        XCTAssertEqual(plugin.consumes, [.basic])
    }

    func testAllowCarriesPrincipalAndAttributes() throws {
        let outcome = try gatekeeper().evaluate(request(String.basic("root", "r00t-matrix")))
        XCTAssertEqual(outcome.decision, .allow, "\(outcome.trace)")
        XCTAssertEqual(outcome.status, 200)
        XCTAssertEqual(outcome.principal, "root")
        XCTAssertEqual(outcome.attributes.first { $0.name == "uid" }?.value, "0")
        XCTAssertEqual(outcome.attributes.first { $0.name == "groups" }?.value.hasPrefix("root"), true)
    }

    func testWrongPasswordIs401WithTheChallenge() throws {
        let outcome = try gatekeeper().evaluate(request(String.basic("alice", "wrong")))
        XCTAssertEqual(outcome.decision, .deny)
        XCTAssertEqual(outcome.reason, .invalidCredentials)
        XCTAssertEqual(outcome.status, 401)
        XCTAssertEqual(outcome.challenges, [challenge])
        XCTAssertFalse(outcome.trace.contains { ($0.detail ?? "").contains("wrong") }, "no password in the trace")
    }

    /// Real pam_access behind a trusted proxy that speaks `Forwarded`. The client writes a
    /// malformed element of its own; the proxy appends the real address. pam_access must still
    /// judge that address (it used to get no PAM_RHOST, match no network rule, and let the client in).
    func testPamAccessSeesTheClientDespiteAMalformedForwardedElement() throws {
        try "- : ALL : 198.51.100.0/24\n+ : ALL : ALL\n".write(toFile: fixture.directory + "/access.conf", atomically: true, encoding: .utf8)
        let passdb = try fixture.writePassdb(["root:r00t-matrix:access"], name: "passdb-access")
        try fixture.writeService("access", """
            auth     required \(PamFixture.pamMatrix) passdb=\(passdb)
            account  required pam_access.so accessfile=\(fixture.directory)/access.conf
            account  required \(PamFixture.pamMatrix) passdb=\(passdb)

            """)
        let gatekeeper = try TestSupport.gatekeeper("""
            [proxy]
            trusted = ["10.0.0.1"]
            header = "Forwarded"

            [[stack.default]]
            plugin = "pam"
            control = "required"
            service = "access"
            confdir = "\(fixture.directory)"
            """)
        func outcome(_ forwarded: [String]) -> Outcome {
            gatekeeper.evaluate(AuthRequest(
                headers: [("Authorization", String.basic("root", "r00t-matrix"))] + forwarded.map { ("Forwarded", $0) },
                peer: IPAddress("10.0.0.1")))
        }
        for refused in [["x, for=198.51.100.4"], ["x", "for=198.51.100.4"], ["for=198.51.100.4"]] {
            let refusedOutcome = outcome(refused)
            XCTAssertEqual(refusedOutcome.client, IPAddress("198.51.100.4"), "\(refused)")
            XCTAssertEqual(refusedOutcome.decision, .deny, "\(refused): \(refusedOutcome.trace)")
            XCTAssertEqual(refusedOutcome.reason, .insufficientPermissions, "\(refused): \(refusedOutcome.trace)")
            XCTAssertTrue(refusedOutcome.trace.first?.detail?.contains("PAM_PERM_DENIED") ?? false, "\(refusedOutcome.trace)")
        }
        XCTAssertEqual(outcome(["x, for=192.0.2.9"]).decision, .allow, "another network passes pam_access")
    }

    /// An unknown client (here a malformed element the walk reaches) is denied before PAM is
    /// asked: a stack cannot apply its network rules without PAM_RHOST.
    func testUnknownClientIsDeniedWithoutAskingPam() throws {
        let gatekeeper = try TestSupport.gatekeeper("""
            [proxy]
            trusted = ["10.0.0.1"]
            header = "Forwarded"

            [[stack.default]]
            plugin = "pam"
            control = "required"
            service = "api"
            confdir = "\(fixture.directory)"
            """)
        let outcome = gatekeeper.evaluate(AuthRequest(
            headers: [("Authorization", String.basic("root", "r00t-matrix")), ("Forwarded", "for=198.51.100.4, x")], peer: IPAddress("10.0.0.1")))
        XCTAssertNil(outcome.client)
        XCTAssertEqual(outcome.decision, .deny, "\(outcome.trace)")
        XCTAssertEqual(outcome.reason, .ipNotAllowed)
        XCTAssertEqual(outcome.status, 403)
        XCTAssertTrue(outcome.trace.first?.detail?.hasPrefix("no client address") ?? false, "\(outcome.trace)")
    }

    func testNoCredentialOffersTheChallenge() throws {
        for (authorization, reason) in [(nil, ReasonCode.missingCredentials), ("Bearer abc.def", .unsupportedScheme)] {
            let outcome = try gatekeeper().evaluate(request(authorization))
            XCTAssertEqual(outcome.decision, .deny)
            XCTAssertEqual(outcome.trace.first?.verdict, "deny", "\(outcome.trace)")
            XCTAssertEqual(outcome.reason, reason)
            XCTAssertEqual(outcome.challenges, [challenge])
            XCTAssertEqual(outcome.status, 401)
        }
    }

    func testNonUTF8CredentialIsMalformed() throws {
        let outcome = try gatekeeper().evaluate(request(basic([0x72, 0x6F, 0x6F, 0x74, 0xFF, 0x3A, 0x78])))
        XCTAssertEqual(outcome.decision, .deny)
        XCTAssertEqual(outcome.reason, .malformedCredentials, "\(outcome.trace)")
        XCTAssertEqual(outcome.trace.first?.detail, "the Basic user-id is not UTF-8", "the plugin, not the host, decided")
    }

    func testClientAddressBecomesRHOST() throws {
        let gatekeeper = try gatekeeper(service: "fromhost")
        XCTAssertEqual(gatekeeper.evaluate(request(String.basic("root", "r00t-matrix"), from: "192.0.2.7")).decision, .allow)
        XCTAssertEqual(gatekeeper.evaluate(request(String.basic("root", "r00t-matrix"), from: "::ffff:192.0.2.7")).decision, .allow)
        XCTAssertEqual(gatekeeper.evaluate(request(String.basic("root", "r00t-matrix"), from: "192.0.2.8")).reason, .invalidCredentials)
    }

    func testFailDelayReachesTheOutcome() throws {
        let outcome = try gatekeeper(service: "delayed").evaluate(request(String.basic("root", "nope")))
        XCTAssertEqual(outcome.reason, .invalidCredentials)
        XCTAssertGreaterThanOrEqual(outcome.failDelay, .milliseconds(500))
        XCTAssertLessThanOrEqual(outcome.failDelay, .milliseconds(1500))
    }

    func testBadArgumentsNameTheKey() throws {
        XCTAssertThrowsError(try gatekeeper(extra: "user = \"x\"")) { error in
            XCTAssertTrue("\(error)".contains("unknown argument 'user'"), "\(error)")
            XCTAssertTrue("\(error)".contains("test.toml"), "\(error)")
        }
        XCTAssertThrowsError(try gatekeeper(service: "missing")) { error in
            XCTAssertTrue("\(error)".contains("\(self.fixture.directory)/missing"), "\(error)")
        }
    }

    func testConcurrentChecksThroughTheLoader() throws {
        let gatekeeper = try gatekeeper(extra: "max_concurrent = 64")
        let right = request(String.basic("alice", "correct horse")), wrong = request(String.basic("alice", "x"))
        let outcomes = runConcurrently(count: 200) { index in
            gatekeeper.evaluate(index.isMultiple(of: 2) ? right : wrong).decision == (index.isMultiple(of: 2) ? .allow : .deny)
        }
        XCTAssertEqual(outcomes.filter { $0 }.count, 200)
    }
}
