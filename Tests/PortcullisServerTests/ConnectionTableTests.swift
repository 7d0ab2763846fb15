import NIOCore
import NIOEmbedded
import Synchronization
@testable import PortcullisServer
import XCTest

/// The connection cap's rule: at the cap, the oldest connection still waiting for its request
/// head makes room; a connection busy with a request is never the one closed.
final class ConnectionTableTests: XCTestCase {
    func testTheOldestWaitingConnectionMakesRoom() throws {
        let sheds = Sheds()
        let table = ConnectionTable(limit: 2) { sheds.record($0) }
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
        XCTAssertEqual(sheds.all, [.evicted, .refused])
    }

    /// A keep-alive connection waits from its last response on, so a connection that has waited
    /// since its accept goes first.
    func testWaitingCountsFromTheLastResponse() throws {
        let table = ConnectionTable(limit: 2)
        let (kept, stalled, newcomer) = (EmbeddedChannel(), EmbeddedChannel(), EmbeddedChannel())
        for channel in [kept, stalled, newcomer] {
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }
        let first = try XCTUnwrap(table.admit(kept))
        _ = try XCTUnwrap(table.admit(stalled))
        table.setWaitingForHead(first, false)  // a request on the first connection…
        table.setWaitingForHead(first, true)   // …answered: it waits again, from now
        XCTAssertNotNil(table.admit(newcomer))
        XCTAssertTrue(kept.isActive)
        XCTAssertFalse(stalled.isActive, "the connection waiting since its accept makes room")
    }

    /// Many requests on long-lived connections keep the bookkeeping bounded.
    func testBookkeepingStaysBounded() throws {
        let table = ConnectionTable(limit: 4)
        let channel = EmbeddedChannel()
        let ticket = try XCTUnwrap(table.admit(channel))
        for _ in 0..<10_000 {
            table.setWaitingForHead(ticket, false)
            table.setWaitingForHead(ticket, true)
        }
        XCTAssertLessThanOrEqual(table.queuedWaits, 2 * 1 + 64 + 1)
    }
}

/// What the table reported shedding.
final class Sheds: Sendable {
    private let list = Mutex<[ConnectionTable.Shed]>([])
    func record(_ shed: ConnectionTable.Shed) { list.withLock { $0.append(shed) } }
    var all: [ConnectionTable.Shed] { list.withLock { $0 } }
}
