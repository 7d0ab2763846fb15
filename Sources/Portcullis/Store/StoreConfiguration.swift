/// `[store]`: where the state plugins share (lockout counts and locks) lives. Read at start: one
/// store per process, kept across reloads so a SIGHUP loses no count (a change takes a restart).
package struct StoreConfiguration: Sendable, Equatable {
    package enum Backend: String, Sendable, Equatable {
        /// This process only: nothing to install; a fleet of daemons counts separately.
        case memory
        /// PostgreSQL, shared by every daemon with the same `url` (the daemon supplies the backend).
        case postgres
    }

    package var backend = Backend.memory
    /// `postgresql://…`; required for (and only for) `postgres`. May hold a password: never logged.
    package var url: String?
    /// How long one call to the backend may take before it counts as down. Requests never wait on
    /// it: only the background sync and the admin commands do.
    package var timeout: Duration = .milliseconds(500)
    /// How long the sync waits before it tries a backend that is down again.
    package var retryInterval: Duration = .seconds(1)
    /// The most counters kept in memory (and, separately, the most flags). See ``StoreMirror``
    /// for what happens at the cap.
    package var maxKeys = 100_000

    package init() {}
}

/// Makes the backend `[store]` asks for. The host links no database client: the daemon passes a
/// factory that knows the PostgreSQL backend; ``standard`` knows only `memory`.
package typealias StoreBackendFactory = @Sendable (StoreConfiguration) throws -> any StoreBackend

package enum StoreBackends {
    /// `memory`; `postgres` is an error naming what is missing.
    package static let standard: StoreBackendFactory = { configuration in
        switch configuration.backend {
        case .memory: return MemoryStoreBackend()
        case .postgres: throw StoreUnavailable.notBuiltIn(configuration.backend.rawValue)
        }
    }
}

package enum StoreUnavailable: Error, CustomStringConvertible {
    case notBuiltIn(String)

    package var description: String {
        switch self {
        case .notBuiltIn(let name):
            "backend \"\(name)\" is not available in this program (only `portcullis serve` and the CLI built with the PostgreSQL store provide it)"
        }
    }
}
