/// `WWW-Authenticate` challenges for the two schemes the host parses, so every plugin writes
/// them the same way.
public enum Challenge {
    /// `Basic realm="…", charset="UTF-8"` (RFC 7617 §2, §2.1).
    public static func basic(realm: Realm) -> String {
        "Basic realm=\(realm.quoted), charset=\"UTF-8\""
    }

    /// `Bearer realm="…"`, with `error` and `error_description` when given (RFC 6750 §3).
    /// Without `error`: the challenge for a request that sent no token (RFC 6750 §3.1).
    public static func bearer(realm: Realm, error: String? = nil, description: String? = nil) -> String {
        var text = "Bearer realm=\(realm.quoted)"
        if let error { text += ", error=\(quotedString(error))" }
        if let description { text += ", error_description=\(quotedString(description))" }
        return text
    }

    /// `text` as a quoted-string (RFC 9110 §5.6.4): `"` and `\` escaped with a backslash.
    /// The caller keeps control characters out (``Realm`` does).
    public static func quotedString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out + "\""
    }
}
