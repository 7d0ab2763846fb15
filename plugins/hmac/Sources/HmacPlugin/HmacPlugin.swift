public import PortcullisPluginKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `hmac` plugin: verifies `Authorization: Bearer` JWS compact tokens signed with
/// HS256/384/512 under keys from a JSON Web Key Set that is reloaded when it changes.
///
/// A thin adapter: ``TokenVerifier`` does the work; this type maps its answers to
/// outcomes and RFC 6750 challenges. Verification is a few microseconds of CPU, so the
/// plugin is not blocking; the key and revocation files are looked at (at most once per
/// `reload_interval`) on a background queue that a request schedules but never waits for
/// (`WatchedFile` in the SDK): a check does no file I/O.
public struct HmacPlugin: PortcullisPlugin {
    public static let name = "hmac"
    public static let version = "1.0.0"
    public static let flags: PluginFlags = [.cacheable]
    public static let consumes: Set<CredentialKind> = [.bearer]

    public static let options: [PluginOption] = [
        .string("keys", required: true, help: "path to a JSON Web Key Set of HS256/384/512 keys, each with kid and alg"),
        .string("realm", help: "the realm in Bearer challenges (default \"portcullis\")"),
        .integer("leeway", in: 0...3600, help: "clock skew allowed on exp, nbf and iat, seconds (default 30)"),
        .integer("max_age", in: 1...31_536_000, help: "require iat and refuse tokens older than this, seconds"),
        .string("issuer", help: "require iss to equal this"),
        .list("audience", help: "require aud to contain one of these"),
        .list("required", help: "claims that must be present (exp and sub always are)"),
        .list("expose", help: "claims passed on as outcome attributes"),
        .string("groups_claim", help: "claim (or dotted path, e.g. realm_access.groups) whose string or array becomes the groups attribute"),
        .string("roles_claim", help: "claim (or dotted path, e.g. realm_access.roles) whose string or array becomes the roles attribute"),
        .string("revoked", help: "path to a file of revoked jti values, one per line"),
        .bool("revoked_store", help: "also refuse jti values revoked in the host's shared store (portcullis token revoke), fleet-wide (default false)"),
        .integer("max_stale", in: 1...86_400, help: "with revoked_store: refuse tokens with a jti once the store has been out of sync this long, seconds (default 60)"),
        .integer("max_length", in: 256...65536, help: "longest token accepted, bytes (default 8192)"),
        .integer("reload_interval", in: 0...3600, help: "seconds between checks of the files for changes; 0 never re-reads them (default 1)"),
    ]

    private let verifier: TokenVerifier
    private let keys: WatchedFile<KeySet>
    private let revoked: WatchedFile<RevocationList>?
    /// `revoked_store = true`: revocations in the host's shared store.
    private let storeRevocations: StoreRevocations?
    private let realm: Realm
    /// Seconds between looks at the files; nil when `reload_interval = 0`: never re-read.
    private let reloadInterval: Int?

    public init(options: PluginOptions, host: PluginHost) throws {
        realm = try Realm(options, default: "portcullis")
        let seconds = options.integer("reload_interval", default: 1)
        reloadInterval = seconds > 0 ? seconds : nil
        let interval = reloadInterval.map { Duration.seconds($0) }
        func claimPath(_ name: String) throws(PluginConfigurationError) -> ClaimPath? {
            guard let text = options.string(name) else { return nil }
            guard let path = ClaimPath(text) else { throw PluginConfigurationError("argument '\(name)' must be a claim name or a dotted path like realm_access.roles") }
            return path
        }
        for name in options.list("expose") where DerivedAttributes.names.contains(name) {
            throw PluginConfigurationError("argument 'expose' must not list '\(name)': the plugin derives that attribute (scopes from scope and scp, groups and roles from groups_claim and roles_claim)")
        }
        verifier = TokenVerifier(policy: TokenPolicy(
            leeway: Double(options.integer("leeway", default: 30)),
            maxAge: options.contains("max_age") ? Double(options.integer("max_age", default: 0)) : nil,
            issuer: options.string("issuer"),
            audiences: options.list("audience"),
            requiredClaims: options.list("required"),
            exposedClaims: options.list("expose"),
            maxLength: options.integer("max_length", default: 8192),
            groupsClaim: try claimPath("groups_claim"), rolesClaim: try claimPath("roles_claim")))
        // Loaded now: a key file that is missing or wrong at start is a configuration error.
        keys = try WatchedFile(path: options.string("keys") ?? "", what: "keys", interval: interval, log: host.log) {
            try KeySet(contentsOf: $0)
        }
        if let path = options.string("revoked") {
            revoked = try WatchedFile(path: path, what: "revoked jti list", interval: interval, log: host.log) {
                try RevocationList(contentsOf: $0)
            }
        } else {
            revoked = nil
        }
        if options.bool("revoked_store", default: false) {
            storeRevocations = try StoreRevocations(host: host, maxStale: .seconds(options.integer("max_stale", default: 60)))
        } else if options.contains("max_stale") {
            throw PluginConfigurationError("argument 'max_stale' applies only with revoked_store = true")
        } else {
            storeRevocations = nil
        }
    }

    /// Without an `error` code: the request carried no token (RFC 6750 §3.1).
    public var challenge: String? { Challenge.bearer(realm: realm) }

    /// Changes with every reload of the key or revocation file (both only count up, so their sum
    /// changes whenever either does): cached answers under old keys or an old list stop counting.
    public var generation: UInt64 { keys.generation &+ (revoked?.generation ?? 0) }

    public func check(_ request: PluginRequest) -> PluginOutcome {
        switch request.credential {
        case .bearer(let token):
            let result = verifier.verify(token.bytes, keys: keys.current(), revoked: revoked?.current(), now: Self.now())
            switch result {
            case .success(let token):
                guard let subject = token.subject else {
                    return .deny(.invalidCredentials, challenge: challenge(for: .missingClaim("sub")), detail: "missing claim sub")
                }
                // Bounded by the reload interval too, so a removed key or a revoked jti
                // takes effect within that time even through the host's cache.
                var cacheTTL = reloadInterval.map { min(token.remainingLifetime, $0) } ?? token.remainingLifetime
                if let storeRevocations, let jti = token.claims["jti"].flatMap(TokenID.text) {
                    switch storeRevocations.check(jti) {
                    case .revoked:
                        return .deny(.revokedCredentials, challenge: challenge(for: .revoked), detail: "token revoked (jti, shared store)")
                    case .stale(let staleness):
                        return .error(.backendUnavailable, detail: StoreRevocations.describe(staleness, maxStale: storeRevocations.maxStale))
                    case .notRevoked:
                        // Never cached: a revocation, or the store going stale, counts from the next request.
                        cacheTTL = 0
                    }
                }
                return .allow(
                    Identity(principal: subject, attributes: token.attributes),
                    detail: "kid \(token.kid), \(token.algorithm.rawValue)", cacheTTL: cacheTTL)
            case .failure(let rejection):
                return .deny(rejection.reason, challenge: challenge(for: rejection), detail: rejection.detail)
            }
        case .malformed(let scheme) where scheme.lowercased() == "bearer":
            // The header itself is broken (e.g. `Bearer` with no token): a bad request, 400.
            return .deny(.malformedCredentials, challenge: Challenge.bearer(realm: realm, error: "invalid_request"),
                         detail: "malformed Authorization: Bearer header")
        default:
            return missingCredential(request.credential)
        }
    }

    /// A token that was sent but is bad in any way is `invalid_token` (RFC 6750 §3.1 lists
    /// "expired, revoked, malformed, or invalid"): the client should get a new token.
    func challenge(for rejection: TokenRejection) -> String {
        Challenge.bearer(realm: realm, error: "invalid_token", description: rejection.errorDescription)
    }

    /// Seconds since the epoch, from the system clock (no Foundation in plugin images).
    static func now() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
