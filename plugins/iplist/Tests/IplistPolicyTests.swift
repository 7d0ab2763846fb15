import PortcullisPluginKit
import XCTest

@testable import IplistPlugin

/// The decision as a function of the client address, and the default rules.
final class IplistPolicyTests: XCTestCase {
    private func policy(allow: [String] = [], deny: [String] = [], allowFiles: [String] = [], defaultAction: ListAction? = nil) throws -> IplistPolicy {
        try ListSources(
            allow: allow.map { try IPPrefix(parsing: $0) }, deny: deny.map { try IPPrefix(parsing: $0) },
            allowFiles: allowFiles, defaultAction: defaultAction
        ).load().policy
    }

    private func verdict(_ outcome: PluginOutcome) -> String {
        switch outcome {
        case .allow(let identity, _, _): "allow(\(identity.principal))"
        case .deny(let reason, let challenge, _, let delay): "deny(\(reason.code), \(challenge ?? "-"), \(delay.map { "\($0)" } ?? "-"))"
        case .lockedOut(let retry, _): "lockedOut(\(retry))"
        case .ignore: "ignore"
        case .error(let reason, _): "error(\(reason.code))"
        }
    }

    func testAllowedAndDeniedAddresses() throws {
        let policy = try policy(allow: ["192.0.2.0/24", "2001:db8::/32"], deny: ["192.0.2.66"])
        XCTAssertEqual(verdict(policy.decide(IPAddress("192.0.2.1"))), "allow()")
        XCTAssertEqual(verdict(policy.decide(IPAddress("::ffff:192.0.2.1"))), "allow()")
        XCTAssertEqual(verdict(policy.decide(IPAddress("2001:db8::5"))), "allow()")
        XCTAssertEqual(verdict(policy.decide(IPAddress("192.0.2.66"))), "deny(ip_not_allowed, -, -)")
        XCTAssertEqual(verdict(policy.decide(IPAddress("198.51.100.1"))), "deny(ip_not_allowed, -, -)")
    }

    func testNoClientAddressIsDenied() throws {
        for policy in [try policy(), try policy(deny: ["10.0.0.0/8"]), try policy(defaultAction: .allow)] {
            let outcome = policy.decide(nil)
            XCTAssertEqual(verdict(outcome), "deny(ip_not_allowed, -, -)")
            guard case .deny(_, _, let detail?, _) = outcome else { return XCTFail("no detail") }
            XCTAssertTrue(detail.contains("no client address"), detail)
        }
    }

    func testDefaultIsDenyOnceAnyAllowEntryExists() throws {
        XCTAssertEqual(try policy().defaultAction, .allow)
        XCTAssertEqual(try policy(deny: ["10.0.0.0/8"]).defaultAction, .allow)
        XCTAssertEqual(verdict(try policy(deny: ["10.0.0.0/8"]).decide(IPAddress("11.0.0.1"))), "allow()")
        XCTAssertEqual(try policy(allow: ["10.0.0.0/8"]).defaultAction, .deny)
        XCTAssertEqual(verdict(try policy(allow: ["10.0.0.0/8"]).decide(IPAddress("11.0.0.1"))), "deny(ip_not_allowed, -, -)")
    }

    func testAnEmptyAllowFileStillMeansDefaultDeny() throws {
        let file = try TemporaryFile(contents: "# nobody yet\n")
        let policy = try policy(allowFiles: [file.path])
        XCTAssertEqual(policy.defaultAction, .deny)
        XCTAssertEqual(verdict(policy.decide(IPAddress("10.0.0.1"))), "deny(ip_not_allowed, -, -)")
    }

    func testExplicitDefaultWins() throws {
        XCTAssertEqual(verdict(try policy(allow: ["10.0.0.0/8"], defaultAction: .allow).decide(IPAddress("11.0.0.1"))), "allow()")
        XCTAssertEqual(verdict(try policy(defaultAction: .deny).decide(IPAddress("11.0.0.1"))), "deny(ip_not_allowed, -, -)")
        XCTAssertEqual(verdict(try policy(deny: ["11.0.0.0/8"], defaultAction: .allow).decide(IPAddress("11.0.0.1"))), "deny(ip_not_allowed, -, -)")
    }

    func testDetailsSayWhy() throws {
        let policy = try policy(allow: ["10.0.0.0/8"], deny: ["10.0.0.1"])
        XCTAssertEqual(policy.decide(IPAddress("10.0.0.2")), .allow(Identity(principal: ""), detail: "client address on the allow list"))
        XCTAssertEqual(policy.decide(IPAddress("10.0.0.1")), .deny(.ipNotAllowed, detail: "client address on the deny list"))
        XCTAssertEqual(policy.decide(IPAddress("11.0.0.1")), .deny(.ipNotAllowed, detail: "client address on no list (default deny)"))
    }
}
