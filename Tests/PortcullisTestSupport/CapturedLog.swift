public import Logging
import Synchronization

/// A swift-log backend that keeps every entry, so a test can read what the host and its plugins
/// logged (and check that no secret was). The shape of swift-log's `InMemoryLogHandler`
/// (swift-log ≥ 1.8, product `InMemoryLogging`), which can replace it once the test targets
/// depend on that product.
///
/// ```swift
/// let log = CapturedLog()
/// let gatekeeper = try Gatekeeper(configuration: config, logger: log.logger)
/// ...
/// XCTAssertTrue(log.entries.contains { $0.level == .error && $0.message.contains("keeping the previous") })
/// ```
public struct CapturedLog: LogHandler, Sendable {
    public struct Entry: Sendable, Equatable {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata
    }

    private final class Store: Sendable {
        let entries = Mutex<[Entry]>([])
    }

    private let store = Store()
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init() {}

    /// A logger writing to this log.
    public var logger: Logger { Logger(label: "test") { _ in self } }

    /// Every entry so far, in order.
    public var entries: [Entry] { store.entries.withLock { $0 } }

    /// Every message so far, in order.
    public var lines: [String] { entries.map(\.message) }

    /// Every entry so far as one line, `message key=value …`, metadata sorted by key.
    public var formattedLines: [String] {
        entries.map { entry in
            "\(entry.message) " + entry.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let entry = Entry(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { $1 })
        store.entries.withLock { $0.append(entry) }
    }
}
