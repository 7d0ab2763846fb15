import Synchronization
import XCTest
@testable import PortcullisServer

/// Reloads asked for together run one at a time, in the order asked: a slow first load is never
/// overtaken by a second (which would leave the older file's configuration in service).
final class SerialReloadsTests: XCTestCase {
    /// What the reloads did, in order.
    final class Events: Sendable {
        let list = Mutex<[String]>([])
    }

    func testASecondReloadWaitsForTheFirstAndBothRunInOrder() async throws {
        let reloads = SerialReloads()
        let events = Events()
        let (gate, open) = AsyncStream<Void>.makeStream()

        let first = Task {
            await reloads.run {
                events.list.withLock { $0.append("first started") }
                for await _ in gate { break }  // held until the test opens the gate
                events.list.withLock { $0.append("first finished") }
                return true
            }
        }
        // Wait until the first one runs, then ask for the second.
        while events.list.withLock({ $0.isEmpty }) { await Task.yield() }
        let second = Task {
            await reloads.run {
                events.list.withLock { $0.append("second started") }
                return false
            }
        }
        // The second is queued: however long we wait, it does not start while the first runs.
        for _ in 0..<1000 { await Task.yield() }
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertEqual(events.list.withLock { $0 }, ["first started"])

        open.yield()
        let (firstResult, secondResult) = (await first.value, await second.value)
        XCTAssertTrue(firstResult)
        XCTAssertFalse(secondResult)
        XCTAssertEqual(events.list.withLock { $0 }, ["first started", "first finished", "second started"])
    }
}
