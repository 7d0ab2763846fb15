import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

/// `request.client` and `request.peer` are rebuilt from the ABI's bytes on every read.
final class PluginRequestAddressTests: XCTestCase {
    func testAddressesSurviveTheABI() throws {
        let addresses = ["192.0.2.1", "0.0.0.0", "255.255.255.255", "2001:db8::1", "::ffff:10.0.0.1", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]
        for text in addresses {
            let address = try XCTUnwrap(IPAddress(text))
            let (client, peer) = PluginRequest.withTestRequest(client: address, peer: address) { ($0.client, $0.peer) }
            XCTAssertEqual(client, address, text)
            XCTAssertEqual(peer, address, text)
            XCTAssertEqual(client?.description, address.description, text)
        }
        XCTAssertEqual(PluginRequest.withTestRequest(client: IPAddress("192.0.2.1")) { $0.client }, .v4(0xC000_0201))
        XCTAssertEqual(PluginRequest.withTestRequest(client: IPAddress("2001:db8::1")) { $0.client }, .v6(0x2001_0db8_0000_0000_0000_0000_0000_0001))
        XCTAssertNil(PluginRequest.withTestRequest { $0.client }, "unknown stays unknown")
    }
}
