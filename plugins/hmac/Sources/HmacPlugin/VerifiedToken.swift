public import PortcullisPluginKit

/// A token whose MAC verified and whose claims passed the policy.
public struct VerifiedToken: Sendable, Equatable {
    /// The `sub` claim; never nil when the policy requires a subject (the plugin's does).
    public let subject: String?
    /// The key that verified it.
    public let kid: String
    public let algorithm: HmacAlgorithm
    /// Every claim, for `portcullis token verify`.
    public let claims: JSONObject
    /// The policy's exposed claims that the token carries, rendered as text.
    public let attributes: [Attribute]
    /// Whole seconds until the token stops being valid (`exp`, and `iat + max_age`), at least 0.
    public let remainingLifetime: Int
}
