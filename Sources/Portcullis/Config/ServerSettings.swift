/// `[server]` beyond `listen`: read by `portcullis serve` at start (a reload keeps the running
/// server's values; change them with a restart).
package struct ServerSettings: Sendable, Equatable {
    /// The status of an allow: 200 (default; every proxy accepts it, and it can carry headers
    /// through any intermediary) or 204 (no body, as some operators prefer). Both are 2xx, which
    /// is all nginx `auth_request`, Traefik ForwardAuth and Caddy `forward_auth` look at.
    package var allowStatus = 200
    /// Threads that run blocking stacks (PAM, crypt) off the event loop.
    package var blockingThreads = 8
    /// Checks that may wait for a blocking thread; beyond that the daemon answers 503 at once.
    package var blockingQueue = 64
    /// Which headers describe the original request. One family only, and only from a trusted
    /// proxy: the other family would be passed through from the client unchanged.
    package var originalRequest = OriginalRequestHeaders.xOriginal
    /// How long a new connection may take to send a complete request head before it is closed
    /// (slowloris: half-open connections would otherwise hold descriptors for ever).
    package var headerTimeout: Duration = .seconds(10)
    /// How long a connection may stay without a request part: keep-alive idle, and a stalled
    /// request body.
    package var idleTimeout: Duration = .seconds(60)
    /// The most connections open at once; beyond it the connection that has waited longest for a
    /// request head is closed to make room (or the new one, when none is waiting). nil: a margin
    /// below the descriptor limit, read at start after raising it to the hard limit.
    package var maxConnections: Int?
    /// A blocking stack's deadline: past it the request is answered `backend_unavailable` (503)
    /// while the plugin call finishes on the pool.
    package var checkTimeout: Duration = .seconds(5)
    /// Where `/metrics` is served, apart from the auth listener (its per-request timings are no
    /// business of whoever can reach `/auth`). nil: not served.
    package var metricsListen: String? = "127.0.0.1:9181"
    /// The Unix socket of `portcullis lockout` (list, reset): created mode 0600, in a directory no
    /// one else may write. nil: not served. Nothing over HTTP resets a lockout.
    package var adminSocket: String?
    /// Reload when the configuration file changes, as SIGHUP does (validated first; a broken file
    /// keeps the running configuration). Off by default: an operator who edits the file in place
    /// should not have each save put it in service.
    package var watch = false

    package enum OriginalRequestHeaders: String, Sendable, Equatable {
        /// nginx `auth_request`: `X-Original-Method`, `X-Original-URI` (and the check's `Host`).
        case xOriginal = "x-original"
        /// Traefik ForwardAuth, Caddy `forward_auth`: `X-Forwarded-Method`, `-Uri`, `-Host`.
        case xForwarded = "x-forwarded"
    }

    package init() {}
}

/// `[cache]`: the verification cache for plugins flagged cacheable (crypt, PAM, hmac).
package struct CacheSettings: Sendable, Equatable {
    package var enabled = true
    /// Seconds an allow stays cached (the plugin's own hint can only shorten it).
    package var positiveTTL = 60
    /// Seconds a deny stays cached: short, so a fixed password works again soon.
    package var negativeTTL = 5
    /// The most answers kept; the oldest go first.
    package var maxEntries = 10_000

    package init() {}

    package static let disabled: CacheSettings = {
        var settings = CacheSettings()
        settings.enabled = false
        return settings
    }()
}
