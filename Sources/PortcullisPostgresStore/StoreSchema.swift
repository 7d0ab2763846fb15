import Logging
import PostgresNIO

/// The store's two tables, created when missing. Keys compare byte-wise (`COLLATE "C"`) so a
/// prefix means the same in every locale. Expiries are `timestamptz` set from the database's own
/// clock (`now()`), so daemons whose clocks disagree still agree on when a count restarts; they
/// cross the wire as milliseconds since the epoch (`WallTime`).
enum StoreSchema {
    static let counters = "portcullis_store_counters"
    static let flags = "portcullis_store_flags"

    static let statements: [PostgresQuery] = [
        """
        CREATE TABLE IF NOT EXISTS portcullis_store_counters (
            key text COLLATE "C" PRIMARY KEY,
            count bigint NOT NULL,
            expires_at timestamptz NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS portcullis_store_counters_expires_at ON portcullis_store_counters (expires_at)",
        """
        CREATE TABLE IF NOT EXISTS portcullis_store_flags (
            key text COLLATE "C" PRIMARY KEY,
            expires_at timestamptz NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS portcullis_store_flags_expires_at ON portcullis_store_flags (expires_at)",
    ]

    /// An arbitrary constant: the advisory lock that serializes schema creation, because two
    /// daemons running `CREATE TABLE IF NOT EXISTS` at once can still collide in the catalog.
    static let lockID: Int64 = 0x706F_7274_6375_6C6C

    /// Creates what is missing, in one transaction under the advisory lock.
    static func create(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockID))", logger: logger)
            for statement in statements {
                try await connection.query(statement, logger: logger)
            }
        }
    }
}
