public import Logging
import InMemoryLogging

/// What the host and its plugins logged, for a test to read (and to check that no secret was):
/// swift-log's `InMemoryLogHandler`, with every level captured and messages as text.
///
/// ```swift
/// let log = CapturedLog()
/// let gatekeeper = try Gatekeeper(configuration: config, logger: log.logger)
/// ...
/// XCTAssertTrue(log.entries.contains { $0.level == .error && $0.message.contains("keeping the previous") })
/// ```
public struct CapturedLog: Sendable {
    public struct Entry: Sendable, Equatable {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata
    }

    /// Its store is shared by every copy, so the logger and this value see the same entries.
    private let handler: InMemoryLogHandler = {
        var handler = InMemoryLogHandler()
        handler.logLevel = .trace
        return handler
    }()

    public init() {}

    /// A logger writing to this log.
    public var logger: Logger { Logger(label: "test") { [handler] _ in handler } }

    /// Every entry so far, in order.
    public var entries: [Entry] {
        handler.entries.map { Entry(level: $0.level, message: $0.message.description, metadata: $0.metadata) }
    }

    /// Every message so far, in order.
    public var lines: [String] { entries.map(\.message) }

    /// Every entry so far as one line, `message key=value …`, metadata sorted by key.
    public var formattedLines: [String] {
        entries.map { entry in
            "\(entry.message) " + entry.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }
}
