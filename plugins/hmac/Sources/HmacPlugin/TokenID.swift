/// A token's `jti` (RFC 7519 §4.1.7) as a revocation list line spells it.
///
/// The RFC makes it a string, but issuers also send integers, and a numeric `jti` compared only
/// as a string could never be revoked. So an integer is compared as its decimal text (`42`
/// matches the line `42`; JSON does not tell `42` from `42.0` or `4.2e1`, so neither do we),
/// and anything else (a fraction, an integer too large for a JSON parser to hold exactly, a
/// boolean, an object) is refused as an invalid claim: a token that cannot be revoked is not
/// accepted.
enum TokenID {
    /// Largest magnitude below which every integer is exact in a Double (2^53).
    private static let exactLimit = 9_007_199_254_740_992.0

    /// The text to look up, or nil when `value` cannot be a revocable token id.
    static func text(of value: JSONValue) -> String? {
        switch value {
        case .string(let text):
            return text
        case .number(let number) where number.rounded(.towardZero) == number && abs(number) < exactLimit:
            return String(Int64(number))
        default:
            return nil
        }
    }
}
