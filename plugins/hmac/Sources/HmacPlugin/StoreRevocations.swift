public import PortcullisPluginKit

/// `revoked_store = true`: token ids revoked fleet-wide, kept by the host's shared store as flags
/// `revoked/<jti>` of this plugin (an operator sets them with `portcullis token revoke`; every
/// daemon on the backend learns them through its change stream). Read from the host's memory,
/// never waiting on a database.
///
/// Fails closed when the host's copy is stale: a revocation made elsewhere while this daemon was
/// cut off from the backend would be unknown here, so once the copy may have missed changes for
/// longer than `maxStale`, tokens that carry a `jti` (the revocable ones) are refused with
/// `backend_unavailable` until the copy is in sync again. Tokens without a `jti` cannot be revoked
/// and are unaffected.
public struct StoreRevocations: Sendable {
    public static let keyPrefix = "revoked/"

    let host: PluginHost
    let maxStale: Duration

    public enum Answer: Equatable, Sendable {
        case notRevoked
        case revoked
        /// The copy may have missed changes for this long; nil: it has never been in sync.
        case stale(Duration?)
    }

    /// Fails when the host offers no store or cannot say how fresh its copy is: without them a
    /// revocation could never be seen, and a plugin configured to honour them must not start.
    public init(host: PluginHost, maxStale: Duration) throws(PluginConfigurationError) {
        guard host.offersStore, host.storeStaleness != nil else {
            throw PluginConfigurationError("revoked_store = true needs a host with the shared store (ABI 1.2 store services and store_staleness_ms)")
        }
        self.host = host
        self.maxStale = maxStale
    }

    public func check(_ jti: String) -> Answer {
        // A revocation known here holds even while the copy is stale.
        if host.storeFlagged(Self.keyPrefix + jti) > .zero { return .revoked }
        // The service answers UINT64_MAX (read here as the largest Duration) before the first sync.
        guard let staleness = host.storeStaleness, staleness < Self.neverSynced else { return .stale(nil) }
        return staleness > maxStale ? .stale(staleness) : .notRevoked
    }

    private static let neverSynced = Duration.milliseconds(Int64.max)

    /// For the decision log: how stale, never a token or a jti.
    static func describe(_ staleness: Duration?, maxStale: Duration) -> String {
        let bound = "max_stale \(maxStale.components.seconds) s"
        guard let staleness else { return "the shared store has not been in sync with its backend yet (\(bound)); tokens with a jti are refused" }
        return "the shared store has been out of sync with its backend for \(staleness.components.seconds) s (\(bound)); tokens with a jti are refused"
    }
}
