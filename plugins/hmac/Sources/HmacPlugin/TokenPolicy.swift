/// The claim rules a verifier enforces (RFC 7519 §4.1, RFC 8725 §3.8–3.9). Immutable.
public struct TokenPolicy: Sendable {
    /// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
    public var leeway: Double
    /// When set, `iat` is required and must be at most this many seconds old.
    public var maxAge: Double?
    /// When set, `iss` must equal it.
    public var issuer: String?
    /// When non-empty, `aud` (a string or an array) must contain one of these. When empty,
    /// a token that names an audience is refused (RFC 7519 §4.1.3: we are not in it).
    public var audiences: [String]
    /// Claims that must be present (`exp` always is).
    public var requiredClaims: [String]
    /// Whether `sub` must be a non-empty string. The plugin needs it (it is the principal);
    /// `portcullis-token verify` and known-answer tests of foreign tokens may not.
    public var requireSubject: Bool
    /// Claims copied into the outcome's attributes, in this order, when present.
    public var exposedClaims: [String]
    /// Tokens longer than this are refused before any decoding.
    public var maxLength: Int
    /// Where the token keeps its groups and roles (`groups_claim`, `roles_claim`); scopes are
    /// always read from `scope` and `scp`.
    public var groupsClaim: ClaimPath?
    public var rolesClaim: ClaimPath?

    public init(
        leeway: Double = 30, maxAge: Double? = nil, issuer: String? = nil, audiences: [String] = [],
        requiredClaims: [String] = [], requireSubject: Bool = true, exposedClaims: [String] = [], maxLength: Int = 8192,
        groupsClaim: ClaimPath? = nil, rolesClaim: ClaimPath? = nil
    ) {
        self.groupsClaim = groupsClaim
        self.rolesClaim = rolesClaim
        self.requireSubject = requireSubject
        self.leeway = leeway
        self.maxAge = maxAge
        self.issuer = issuer
        self.audiences = audiences
        self.requiredClaims = requiredClaims
        self.exposedClaims = exposedClaims
        self.maxLength = maxLength
    }
}
