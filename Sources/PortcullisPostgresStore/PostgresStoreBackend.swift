package import CoreMetrics
package import Logging
package import Portcullis
import PostgresNIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The shared store on PostgreSQL, for a fleet of daemons: every statement is atomic on its own
/// (`INSERT … ON CONFLICT … DO UPDATE … RETURNING`), flag changes are announced with
/// `pg_notify` in the statement that makes them, and a LISTEN connection turns the announcements
/// of every daemon into `changes`. Each call answers within `settings.timeout`, so a database
/// that is down costs a caller an error, never a hang; the host keeps working from memory.
package final class PostgresStoreBackend: StoreBackend {
    package let settings: PostgresStoreSettings
    package let changes: AsyncStream<StoreChange>
    private let continuation: AsyncStream<StoreChange>.Continuation
    private let client: PostgresClient
    private let health: StoreHealth
    private let logger: Logger
    private let running = Atomic<Bool>(false)
    /// Whether the LISTEN connection is in force and answered its last probe (``staleness``).
    private let listening = Atomic<Bool>(false)
    /// When it last was, as ``SyncClock`` milliseconds; -1 before the first time.
    private let lastConfirmed = Atomic<Int64>(-1)
    /// For postgres-nio's own background logging, which reports every failed connection attempt:
    /// the health logs one line per change instead.
    private let quietLogger = Logger(label: "portcullis.store.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// `metrics` receives `portcullis_store_up{backend="postgres"}` for an embedder. The daemon
    /// leaves it at the (unbootstrapped) global system: its `/metrics` shows the shared store's
    /// `portcullis_store_up`, and one Prometheus registry cannot hold one name with two label sets.
    package init(settings: PostgresStoreSettings, logger: Logger, metrics factory: any MetricsFactory = MetricsSystem.factory) {
        self.settings = settings
        self.logger = logger
        (changes, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: quietLogger)
        health = StoreHealth(store: settings.description, logger: logger, factory: factory)
    }

    /// Whether the last call or probe reached the database (what `portcullis_store_up` shows).
    package var isUp: Bool { health.isUp }

    /// `.zero` while the LISTEN connection is in force and answers its probe; else the time since
    /// it last did (a dead link is found within `heartbeatInterval` + `timeout`, and the time since
    /// the last good probe counts); nil before the first LISTEN.
    package var staleness: Duration? {
        if listening.load(ordering: .acquiring) { return .zero }
        let confirmed = lastConfirmed.load(ordering: .relaxed)
        guard confirmed >= 0 else { return nil }
        return .milliseconds(max(0, SyncClock.milliseconds() - confirmed))
    }

    /// The LISTEN connection is in force and every change until now has reached `changes`.
    private func confirmSync() {
        lastConfirmed.store(SyncClock.milliseconds(), ordering: .relaxed)
        listening.store(true, ordering: .releasing)
    }

    // MARK: - Counters

    package func increment(_ key: String, by amount: Int64, window: Duration) async throws -> StoreCounter {
        let windowMilliseconds = window.milliseconds
        let rows = try await call { client in
            // A counter past its expiry starts again at `amount`; the expiry moves on every increment.
            try await client.query("""
                INSERT INTO portcullis_store_counters AS c (key, count, expires_at)
                VALUES (\(key), \(amount), now() + \(windowMilliseconds) * interval '1 millisecond')
                ON CONFLICT (key) DO UPDATE SET
                    count = CASE WHEN c.expires_at <= now() THEN EXCLUDED.count ELSE c.count + EXCLUDED.count END,
                    expires_at = EXCLUDED.expires_at
                RETURNING key, count, (extract(epoch FROM expires_at) * 1000)::bigint
                """).counters()
        }
        guard let counter = rows.first else { throw PostgresStoreUnexpected("increment returned no row") }
        return counter
    }

    package func counter(_ key: String) async throws -> StoreCounter? {
        try await call { client in
            try await client.query("""
                SELECT key, count, (extract(epoch FROM expires_at) * 1000)::bigint
                FROM portcullis_store_counters WHERE key = \(key) AND expires_at > now()
                """).counters()
        }.first
    }

    package func counters(prefix: String) async throws -> [StoreCounter] {
        try await call { client in
            try await client.query("""
                SELECT key, count, (extract(epoch FROM expires_at) * 1000)::bigint
                FROM portcullis_store_counters WHERE starts_with(key, \(prefix)) AND expires_at > now() ORDER BY key
                """).counters()
        }
    }

    package func removeCounter(_ key: String) async throws {
        // Data-modifying WITH runs to completion whether or not the SELECT reads it.
        _ = try await call { client in
            try await client.query("""
                WITH removed AS (DELETE FROM portcullis_store_counters WHERE key = \(key))
                SELECT pg_notify('portcullis_store', 'counter-removed ' || \(key)::text)
                """).drain()
        }
    }

    // MARK: - Flags

    package func setFlag(_ key: String, until expiry: WallTime) async throws {
        _ = try await call { client in
            try await client.query("""
                WITH flag AS (
                    INSERT INTO portcullis_store_flags AS f (key, expires_at)
                    VALUES (\(key), 'epoch'::timestamptz + \(expiry.milliseconds) * interval '1 millisecond')
                    ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at
                    RETURNING key, (extract(epoch FROM expires_at) * 1000)::bigint AS expiry)
                SELECT pg_notify('portcullis_store', 'flag-set ' || expiry || ' ' || key) FROM flag
                """).drain()
        }
    }

    package func flags(prefix: String) async throws -> [StoreFlag] {
        try await call { client in
            try await client.query("""
                SELECT key, (extract(epoch FROM expires_at) * 1000)::bigint
                FROM portcullis_store_flags WHERE starts_with(key, \(prefix)) AND expires_at > now() ORDER BY key
                """).flags()
        }
    }

    package func removeFlag(_ key: String) async throws {
        _ = try await call { client in
            try await client.query("""
                WITH removed AS (DELETE FROM portcullis_store_flags WHERE key = \(key))
                SELECT pg_notify('portcullis_store', 'flag-removed ' || \(key)::text)
                """).drain()
        }
    }

    // MARK: - Running

    /// Runs the connection pool, the LISTEN connection (which also creates the schema) and the
    /// pruning of expired rows, until cancelled.
    package func run() async throws {
        // postgres-nio traps on a second run of one client; a second caller gets an error instead.
        guard !running.exchange(true, ordering: .relaxed) else { throw PostgresStoreUnexpected("run() was called twice") }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            group.addTask { await self.listen() }
            group.addTask { await self.prune() }
        }
        continuation.finish()
    }

    /// One call: bounded by the timeout, and reported to the health.
    private func call<Value: Sendable>(_ body: @escaping @Sendable (PostgresClient) async throws -> Value) async throws -> Value {
        let client = self.client
        do {
            let value = try await withDeadline(settings.timeout) { try await body(client) }
            health.succeeded()
            return value
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            health.failed(error)
            throw error
        }
    }

    /// Keeps a LISTEN connection of its own open (not one of the pool's, so it reconnects on this
    /// backoff, at most `maximumBackoff`, instead of the pool's minute): connects, creates the
    /// schema, replays the flags in force (a daemon that was cut off learns the locks it missed),
    /// forwards every notification, and probes the link so a dead one is replaced.
    private func listen() async {
        var backoff = settings.initialBackoff
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
            do {
                let connection = try await connectForListening(id: attempt)
                do {
                    try await serveNotifications(on: connection) { backoff = settings.initialBackoff }
                } catch {
                    listening.store(false, ordering: .releasing)
                    try? await connection.close()
                    throw error
                }
            } catch {
                if Task.isCancelled { break }
                health.failed(error)
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, settings.maximumBackoff)
        }
    }

    private func connectForListening(id: Int) async throws -> PostgresConnection {
        let configuration = try settings.connectionConfiguration()
        let logger = quietLogger
        return try await withDeadline(settings.timeout) {
            let connection = try await PostgresConnection.connect(
                on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration, id: id, logger: logger
            ).get()
            // Connected after the deadline gave up: nobody will use it.
            if Task.isCancelled {
                try? await connection.close()
                throw CancellationError()
            }
            return connection
        }
    }

    /// Listens on `connection` until it fails; `listening` runs once LISTEN is in force.
    private func serveNotifications(on connection: PostgresConnection, listening: () -> Void) async throws {
        let timeout = settings.timeout
        try await withDeadline(timeout * 10) { [logger] in try await StoreSchema.create(on: connection, logger: logger) }
        try await connection.listen(on: StoreNotification.channel) { notifications in
            health.succeeded()
            listening()
            for flag in try await flags(prefix: "") { continuation.yield(.flagSet(flag)) }
            // In sync from here: what was missed is replayed above, what follows arrives below.
            confirmSync()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { [continuation] in
                    for try await notification in notifications {
                        if let change = StoreNotification.change(from: notification.payload) { continuation.yield(change) }
                    }
                    throw PostgresStoreUnexpected("the LISTEN connection closed")
                }
                group.addTask { [settings, logger] in
                    while true {
                        try await Task.sleep(for: settings.heartbeatInterval)
                        try await withDeadline(timeout) { try await connection.query("SELECT 1", logger: logger).drain() }
                        self.confirmSync()
                    }
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        }
    }

    /// Deletes rows past their expiry every `pruneInterval` (they already read as absent).
    private func prune() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.pruneInterval)
            if Task.isCancelled { break }
            _ = try? await call { client in
                try await client.query("DELETE FROM portcullis_store_counters WHERE expires_at <= now()").drain()
                try await client.query("DELETE FROM portcullis_store_flags WHERE expires_at <= now()").drain()
            }
        }
    }
}

/// The database answered something this code does not expect.
struct PostgresStoreUnexpected: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension PostgresRowSequence {
    func counters() async throws -> [StoreCounter] {
        var counters: [StoreCounter] = []
        for try await (key, count, expiry) in decode((String, Int64, Int64).self) {
            counters.append(StoreCounter(key: key, count: count, expiry: WallTime(milliseconds: expiry)))
        }
        return counters
    }

    func flags() async throws -> [StoreFlag] {
        var flags: [StoreFlag] = []
        for try await (key, expiry) in decode((String, Int64).self) {
            flags.append(StoreFlag(key: key, expiry: WallTime(milliseconds: expiry)))
        }
        return flags
    }

    /// Reads every row, so the statement has run to completion before the call returns.
    func drain() async throws {
        for try await _ in self {}
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// A monotonic clock in milliseconds, for ``PostgresStoreBackend/staleness``: wall time could jump.
enum SyncClock {
    static func milliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
