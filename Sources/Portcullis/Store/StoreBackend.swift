#if canImport(Glibc)
import Glibc
#endif

/// Where the host keeps the state plugins share across requests and, with a shared backend,
/// across every daemon of a fleet: counters and flags, each with an expiry (lockout tallies,
/// locks, revoked token ids). Plugins reach it through the host services of the ABI, so none
/// links a database client.
///
/// Keys are opaque UTF-8 strings chosen by the host (they carry the plugin's namespace). Every
/// call may fail (a database that is down); callers bound how long they wait and keep working
/// from local memory, which is the host's business, not the backend's.
package protocol StoreBackend: Sendable {
    /// Adds `amount` to the counter `key` and returns it. The counter expires `window` after
    /// the last increment; an expired counter starts again from zero. Atomic: concurrent
    /// increments from any number of processes are all counted.
    func increment(_ key: String, by amount: Int64, window: Duration) async throws -> StoreCounter
    /// The counter `key`, or nil when there is none or it expired.
    func counter(_ key: String) async throws -> StoreCounter?
    /// Counters that have not expired whose keys start with `prefix`.
    func counters(prefix: String) async throws -> [StoreCounter]
    func removeCounter(_ key: String) async throws

    /// Sets the flag `key` until `expiry`, replacing an earlier one.
    func setFlag(_ key: String, until expiry: WallTime) async throws
    /// Flags that have not expired whose keys start with `prefix`.
    func flags(prefix: String) async throws -> [StoreFlag]
    func removeFlag(_ key: String) async throws

    /// Flag changes made through this backend by any process sharing it, this one included, so
    /// the host's local copy learns of a lock set elsewhere at once.
    var changes: AsyncStream<StoreChange> { get }

    /// How long `changes` may have missed changes made by other processes: `.zero` while the
    /// stream is known to be complete (for PostgreSQL: the LISTEN connection is in force and
    /// answers its probe), the time since it last was otherwise, nil before it ever was. What
    /// must not miss a flag (a revoked token id) refuses once this passes its bound. Called on
    /// every request that asks: an atomic read, no I/O.
    var staleness: Duration? { get }

    /// Runs the backend (connections, listeners) until cancelled.
    func run() async throws
}

package struct StoreCounter: Sendable, Hashable {
    package var key: String
    package var count: Int64
    package var expiry: WallTime

    package init(key: String, count: Int64, expiry: WallTime) {
        self.key = key
        self.count = count
        self.expiry = expiry
    }
}

package struct StoreFlag: Sendable, Hashable {
    package var key: String
    package var expiry: WallTime

    package init(key: String, expiry: WallTime) {
        self.key = key
        self.expiry = expiry
    }
}

package enum StoreChange: Sendable, Hashable {
    case flagSet(StoreFlag)
    case flagRemoved(key: String)
    case counterRemoved(key: String)
}

/// A wall-clock instant in milliseconds since the Unix epoch. Expiries are wall time, not a
/// monotonic clock, because daemons on different machines must agree on them.
package struct WallTime: Sendable, Hashable, Comparable {
    package var milliseconds: Int64

    package init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    package static func now() -> WallTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return WallTime(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    package func adding(_ duration: Duration) -> WallTime {
        let (seconds, attoseconds) = duration.components
        return WallTime(milliseconds: milliseconds + seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    package static func < (left: WallTime, right: WallTime) -> Bool { left.milliseconds < right.milliseconds }
}
