import NIOCore
import NIOEmbedded
@testable import PortcullisServer
import XCTest

/// The connection cap's rule: at the cap, the oldest connection still waiting for its request
/// head makes room; a connection busy with a request is never the one closed.
final class ConnectionTableTests: XCTestCase {
    func testTheOldestWaitingConnectionMakesRoom() throws {
        let table = ConnectionTable(limit: 2)
        let (busy, waiting, newcomer, late) = (EmbeddedChannel(), EmbeddedChannel(), EmbeddedChannel(), EmbeddedChannel())
        for channel in [busy, waiting, newcomer, late] {
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }
        let first = try XCTUnwrap(table.admit(busy))
        table.setWaitingForHead(first, false)
        _ = try XCTUnwrap(table.admit(waiting))

        let third = try XCTUnwrap(table.admit(newcomer), "a waiting connection makes room")
        XCTAssertEqual(table.count, 2)
        XCTAssertTrue(busy.isActive, "the busy connection stays")
        XCTAssertFalse(waiting.isActive, "the oldest waiting connection is closed")

        table.setWaitingForHead(third, false)
        XCTAssertNil(table.admit(late), "every connection is busy: the new one is refused")
        table.remove(first)
        XCTAssertNotNil(table.admit(late), "a closed connection frees its place")
    }
}
