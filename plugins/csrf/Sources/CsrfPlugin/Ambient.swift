import PortcullisPluginKit

/// Which unsafe requests are checked: those a browser could have sent with credentials it
/// attaches by itself (`ambient = "cookie+basic"`, the default), or every one (`"always"`).
public enum AmbientMode: String, Sendable {
    case cookieOrBasic = "cookie+basic"
    case always

    /// What makes a request worth checking: the ambient credential it carries, or nil when it
    /// carries none (a page on another site cannot make the browser attach a Bearer token or an
    /// API-key header, so such a request cannot be forged).
    ///
    /// Ambient: a `Cookie` header (even empty), and any `Authorization` the browser itself
    /// remembers and replays: Basic, and likewise Digest, Negotiate and NTLM. An `Authorization`
    /// the host could not parse counts too: what it is cannot be known, so it is checked.
    func credential(of request: PluginRequest) -> String? {
        switch self {
        case .always: return "ambient = always"
        case .cookieOrBasic: break
        }
        if !request.headerValues("Cookie").isEmpty { return "a Cookie" }
        switch request.credential {
        case .basic: return "Basic credentials"
        case .other(let scheme, _) where Self.browserManagedSchemes.contains(scheme.lowercased()):
            return "\(scheme) credentials"
        case .malformed: return "an unparsable Authorization"
        case .none, .bearer, .other: return nil
        }
    }

    /// HTTP authentication schemes whose credentials a browser caches and sends unasked.
    static let browserManagedSchemes: Set<String> = ["digest", "negotiate", "ntlm"]
}
