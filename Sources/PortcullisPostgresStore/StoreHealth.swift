import CoreMetrics
import Logging
import Portcullis
import PostgresNIO
import Synchronization

/// Whether the database answers, as the `portcullis_store_up` gauge (1 or 0) and one log line per
/// change (not one per failed call: a down database would flood the log). "Down" means the last
/// call or LISTEN probe could not reach PostgreSQL (no connection, a timeout, the server shutting
/// down); a statement the server refused (a bad key, a full payload) says nothing about that.
final class StoreHealth: Sendable {
    private let gauge: Gauge
    private let logger: Logger
    private let store: String
    private let state = Mutex<Bool?>(nil)

    init(store: String, logger: Logger, factory: any MetricsFactory) {
        self.store = store
        self.logger = logger
        gauge = Gauge(label: "portcullis_store_up", dimensions: [("backend", "postgres")], factory: factory)
        gauge.record(0)
    }

    var isUp: Bool { state.withLock { $0 ?? false } }

    func succeeded() { set(up: true, error: nil) }

    /// Records a failed call; only failures to reach the database count as down.
    func failed(_ error: any Error) {
        if Self.reachedDatabase(error) { return }
        set(up: false, error: error)
    }

    private func set(up: Bool, error: (any Error)?) {
        let changed = state.withLock { state -> Bool in
            defer { state = up }
            return state != up
        }
        guard changed else { return }
        gauge.record(up ? 1 : 0)
        if up {
            logger.notice("store: PostgreSQL is up", metadata: ["store": "\(store)"])
        } else {
            logger.error("store: PostgreSQL is down; lockout counts and enforces locally until it is back",
                         metadata: ["store": "\(store)", "error": "\(LogText.escaped(Self.describe(error)))"])
        }
    }

    /// SQLSTATE classes that mean the server is unreachable or going away rather than that it
    /// refused one statement: connection exception, refused login, no such database, insufficient
    /// resources, operator intervention (shutdown, starting up), system error.
    private static let unavailableClasses: Set<String> = ["08", "28", "3D", "53", "57", "58"]

    static func reachedDatabase(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return !unavailableClasses.contains(String(state.prefix(2)))
    }

    /// A short, password-free account of an error: PSQLError's own description hides everything.
    static func describe(_ error: (any Error)?) -> String {
        guard let error else { return "" }
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                return "\(info[.sqlState] ?? "?") \(info[.message] ?? "")"
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }
}
