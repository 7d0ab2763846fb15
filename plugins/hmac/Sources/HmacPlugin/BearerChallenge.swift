/// `WWW-Authenticate: Bearer` challenges (RFC 6750 §3).
struct BearerChallenge: Sendable {
    let realm: String

    /// Whether `realm` can sit inside a quoted-string without escaping (RFC 9110 §5.6.4).
    static func isValidRealm(_ realm: String) -> Bool {
        !realm.isEmpty && realm.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F && $0 != "\"" && $0 != "\\" }
    }

    /// With no `error`: the challenge for a request that sent no token (RFC 6750 §3.1).
    func challenge(error: String? = nil, description: String? = nil) -> String {
        var text = "Bearer realm=\"\(realm)\""
        if let error { text += ", error=\"\(error)\"" }
        if let description { text += ", error_description=\"\(description)\"" }
        return text
    }
}
