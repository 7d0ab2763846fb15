import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// The example plugin of docs/plugin-abi.md (examples/methods-plugin), through the real loader.
final class ExamplePluginTests: XCTestCase {
    func testMethodsGateInAStack() throws {
        let gatekeeper = try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "methods"
            control = "requisite"
            allow = ["get", "HEAD"]

            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "$user"
            """)
        let read = gatekeeper.evaluate(AuthRequest(method: "GET", headers: [("Authorization", .basic("ann", "x"))], peer: IPAddress("192.0.2.1")))
        XCTAssertEqual(read.decision, .allow)
        XCTAssertEqual(read.principal, "ann")
        XCTAssertEqual(read.trace.first?.verdict, "ignore", "a gate does not count as a success")

        let write = gatekeeper.evaluate(AuthRequest(method: "DELETE", headers: [("Authorization", .basic("ann", "x"))], peer: IPAddress("192.0.2.1")))
        XCTAssertEqual(write.reason, .insufficientPermissions)
        XCTAssertEqual(write.status, 403)
        XCTAssertEqual(write.trace.count, 1, "requisite stops at the deny")
    }

    func testMethodsRejectsAnEmptyList() {
        XCTAssertThrowsError(try TestSupport.gatekeeper("[[stack.default]]\nplugin = \"methods\"\ncontrol = \"required\"\n")) { error in
            XCTAssertTrue("\(error)".contains("argument 'allow' needs at least one method"), "\(error)")
        }
        XCTAssertThrowsError(try TestSupport.gatekeeper("[[stack.default]]\nplugin = \"methods\"\ncontrol = \"required\"\nallow = [\"GET\"]\ncolor = 1\n")) { error in
            XCTAssertTrue("\(error)".contains("unknown argument 'color' (this plugin accepts: allow)"), "\(error)")
        }
    }
}
