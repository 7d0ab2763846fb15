import Logging
import Metrics
import MetricsTestKit
import Portcullis
import PortcullisPostgresStore
import PortcullisTestSupport
import Synchronization
import XCTest

/// A `PostgresStoreBackend` running against a test cluster, with its metrics in a `TestMetrics`
/// and every change it delivers recorded, so a test can wait for one.
final class RunningStore: Sendable {
    let backend: PostgresStoreBackend
    let metrics: TestMetrics
    private let recorder: ChangeRecorder

    init(
        url: String, timeout: Duration = .milliseconds(300), configure: (inout PostgresStoreSettings) -> Void = { _ in },
        test: XCTestCase
    ) async throws {
        var settings = try PostgresStoreSettings(url: url, timeout: timeout)
        settings.maximumBackoff = .milliseconds(500)
        configure(&settings)
        let metrics = TestMetrics()
        let backend = PostgresStoreBackend(settings: settings, logger: Logger(label: "test.store"), metrics: metrics)
        let recorder = ChangeRecorder()
        self.backend = backend
        self.metrics = metrics
        self.recorder = recorder
        let tasks = [
            Task { try? await backend.run() },
            Task { for await change in backend.changes { recorder.record(change) } },
        ]
        test.addTeardownBlock {
            for task in tasks { task.cancel() }
            for task in tasks { await task.value }
        }
        try await waitUntilListening()
    }

    var changes: [StoreChange] { recorder.changes }

    /// `portcullis_store_up`'s last value.
    var upGauge: Double? { try? metrics.expectGauge("portcullis_store_up", [("backend", "postgres")]).lastValue }

    /// Whether a `flagSet` for `key` has arrived.
    func receivedFlag(_ key: String) -> StoreFlag? {
        for case .flagSet(let flag) in changes.reversed() where flag.key == key { return flag }
        return nil
    }

    /// Ready once a flag set through this backend comes back through its LISTEN connection: the
    /// schema exists and notifications flow.
    func waitUntilListening(timeout: Double = 20) async throws {
        let key = "test:ready:\(UInt64.random(in: 0...UInt64.max))"
        let ready = await poll(timeout: timeout) {
            guard (try? await self.backend.setFlag(key, until: WallTime.now().adding(.seconds(60)))) != nil else { return false }
            return await poll(timeout: 1) { self.receivedFlag(key) != nil }
        }
        guard ready else { throw TestFailure("the store did not reach PostgreSQL and LISTEN within \(timeout) s") }
    }
}

/// Every change a backend delivered, in order.
final class ChangeRecorder: Sendable {
    private let received = Mutex<[StoreChange]>([])
    func record(_ change: StoreChange) { received.withLock { $0.append(change) } }
    var changes: [StoreChange] { received.withLock { $0 } }
}

/// Polls `condition` every 10 ms until it holds (true) or `timeout` seconds pass (false), without
/// blocking a thread of the cooperative pool.
func poll(timeout: Double, _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    while true {
        if await condition() { return true }
        if ContinuousClock.now > deadline { return false }
        try? await Task.sleep(for: .milliseconds(10))
    }
}
