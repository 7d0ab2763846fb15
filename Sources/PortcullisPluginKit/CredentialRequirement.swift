public import PortcullisProtocol

/// The SDK's default for a plugin that consumes a credential kind (`consumes` is not empty):
/// a request that does not carry its credential is denied before `check` runs —
/// `missing_credentials` when no credential was sent, `unsupported_scheme` when only another
/// scheme came, `malformed_credentials` when the header had no recognizable scheme — offering the
/// plugin's challenge (Bearer without an `error` code, RFC 6750 §3.1). PAM's own modules fail the
/// same way when the conversation returns no password.
///
/// Under `sufficient` and `optional` such a deny does not count; under `required` and `requisite`
/// the stack fails. A plugin that means to abstain answers `.ignore` from `check` and declares no
/// credential kinds.
extension PortcullisPlugin {
    public var challenge: String? { nil }

    /// What this plugin answers to a request without its credential. `check` may return it for
    /// the cases it does not handle, so a direct call answers as the host would.
    public func missingCredential(_ credential: CredentialView) -> PluginOutcome {
        switch credential {
        case .none:
            return .deny(.missingCredentials, challenge: challenge, detail: "no credentials were sent")
        case .malformed(let scheme) where scheme.isEmpty:
            return .deny(.malformedCredentials, challenge: challenge, detail: "the Authorization header has no recognizable scheme")
        case .basic, .bearer, .other, .malformed:
            // The scheme's name only for the two well-known ones: a bare secret parses as a scheme.
            return .deny(.unsupportedScheme, challenge: challenge, detail: "the request carries \(credential.kindName), not this plugin's credential")
        }
    }

    /// The host's path into the plugin: the credential requirement first, then `check`.
    func answer(_ request: PluginRequest) -> PluginOutcome {
        let credential = request.credential
        guard Self.consumes.isEmpty || credential.isOffered(to: Self.consumes) else { return missingCredential(credential) }
        return check(request)
    }
}

extension CredentialView {
    /// Whether this credential is one of `kinds`, or a malformed header of one of their schemes
    /// (which the plugin answers itself: `malformed_credentials` with its own challenge).
    func isOffered(to kinds: Set<CredentialKind>) -> Bool {
        switch self {
        case .none: false
        case .basic: kinds.contains(.basic)
        case .bearer: kinds.contains(.bearer)
        case .other: kinds.contains(.other)
        case .malformed(let scheme):
            switch scheme.lowercased() {
            case "": false
            case "basic": kinds.contains(.basic)
            case "bearer": kinds.contains(.bearer)
            default: kinds.contains(.other)
            }
        }
    }

    /// For details: the kind, never a scheme that could be a secret sent without one.
    var kindName: String {
        switch self {
        case .none: "no credential"
        case .basic: "a Basic credential"
        case .bearer: "a Bearer credential"
        case .other: "a credential of another scheme"
        case .malformed(let scheme):
            ["basic", "bearer"].contains(scheme.lowercased()) ? "a malformed \(scheme) credential" : "a malformed credential"
        }
    }
}
