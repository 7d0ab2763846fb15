import Foundation
import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// The warning for an address check whose allow would let requests without credentials in.
final class StackLintTests: XCTestCase {
    func gatekeeper(control: String) throws -> Gatekeeper {
        let directory = try TestSupport.temporaryDirectory(self)
        try "alice:$2y$05$N6DHG8s2ceOi3wmPJcCdiO1ulh3zh7z2fYSbVrOZxI6PTCeT7iVDS\n".write(toFile: directory + "/users", atomically: true, encoding: .utf8)
        return try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "iplist"
            control = "\(control)"
            deny = ["192.0.2.0/24"]
            [[stack.default]]
            plugin = "crypt"
            control = "sufficient"
            file = "\(directory)/users"
            """)
    }

    func testRequisiteAddressCheckBeforeCredentialsIsFlaggedAndIndeedLetsAnonymousIn() throws {
        let flagged = try gatekeeper(control: "requisite")
        XCTAssertEqual(flagged.warnings.count, 1)
        XCTAssertTrue(flagged.warnings[0].hasPrefix("stack.default[0] (iplist, requisite): its allow counts as success"), flagged.warnings[0])
        // The warning is about real behaviour (Linux-PAM's): no credentials, allowed address → allow.
        XCTAssertEqual(flagged.evaluate(AuthRequest(peer: IPAddress("198.51.100.1"))).decision, .allow)

        let gate = try gatekeeper(control: "[allow=ignore default=die]")
        XCTAssertEqual(gate.warnings, [])
        let anonymous = gate.evaluate(AuthRequest(peer: IPAddress("198.51.100.1")))
        XCTAssertEqual(anonymous.reason, .missingCredentials)
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(gate.evaluate(AuthRequest(peer: IPAddress("192.0.2.1"))).status, 403)
    }
}
