public import PortcullisProtocol

/// What a plugin says about one request: an explicit answer, never an optional.
public enum PluginOutcome: Sendable, Equatable {
    /// The credential is good. `cacheTTL` bounds how long (seconds) the host may reuse this
    /// answer, e.g. a token's remaining lifetime; nil leaves it to the host's configuration.
    case allow(Identity, detail: String? = nil, cacheTTL: Int? = nil)
    /// Refused. `challenge` is the `WWW-Authenticate` value this plugin offers for a retry.
    /// `failDelay` asks the host to hold the response (as PAM's fail delay does) without
    /// blocking a thread.
    case deny(ReasonCode, challenge: String? = nil, detail: String? = nil, failDelay: Duration? = nil)
    /// Refused with `locked_out` because this key failed too often: `retryAfter` is the time left
    /// on the lock, which the host sends as `Retry-After` (ABI 1.2). It never delays the answer.
    case lockedOut(retryAfter: Duration, detail: String? = nil)
    /// Not applicable to this request; `challenge` still offers the plugin's scheme to the client.
    case ignore(challenge: String? = nil, detail: String? = nil)
    /// The plugin could not decide. The host denies: this never lets anyone in.
    case error(ReasonCode = .pluginError, detail: String)
}

/// Who the caller is, and what else the plugin knows about them.
public struct Identity: Sendable, Equatable {
    public var principal: String
    /// Ordered name/value pairs (e.g. `uid`, `groups`, `role`), passed upstream as headers if configured.
    public var attributes: [Attribute]

    public init(principal: String, attributes: [Attribute] = []) {
        self.principal = principal
        self.attributes = attributes
    }
}
