public import PortcullisProtocol

/// Maps outcomes to HTTP: the one place that decides statuses, `WWW-Authenticate`, the problem
/// body and the headers passed upstream. The daemon and the middleware both call it, so they
/// answer the same request the same way, byte for byte.
public struct ResponsePolicy: Sendable {
    /// Per-reason status overrides from `[status]` in the configuration.
    public var overrides: [ReasonCode: Int]
    /// Header carrying the principal upstream on allow.
    public var principalHeader: String
    /// Attributes go upstream as `<prefix><Name>` headers (`X-Auth-Role`).
    public var attributeHeaderPrefix: String
    /// The status of an allow (`[server] allow_status`: 200, or 204 for proxies that prefer it).
    public var allowStatus = 200

    public init(overrides: [ReasonCode: Int] = [:], principalHeader: String = "X-Auth-User", attributeHeaderPrefix: String = "X-Auth-") {
        self.overrides = overrides
        self.principalHeader = principalHeader
        self.attributeHeaderPrefix = attributeHeaderPrefix
    }

    /// The defaults follow the RFCs: 401 when credentials could help (RFC 9110 §15.5.2),
    /// 403 when they cannot (§15.5.4), 500/503 when we failed.
    public static func defaultStatus(for reason: ReasonCode) -> Int {
        switch reason {
        case .pluginError: 500
        case .backendUnavailable: 503
        default: reason.credentialsCouldHelp ? 401 : 403
        }
    }

    /// `outcome` with its HTTP status.
    public func stamped(_ outcome: consuming Outcome) -> Outcome {
        stamp(&outcome)
        return outcome
    }

    /// Gives `outcome` its HTTP status: the one place a status is written. In place, because
    /// an outcome passed through by value was copied on the way (a retain and a release of
    /// each of its many fields, twice per request: callgrind, issue 16).
    public func stamp(_ outcome: inout Outcome) {
        outcome.status = outcome.isAllowed ? allowStatus : status(for: outcome.reason ?? .pluginError, challenges: outcome.challenges)
    }

    /// The status for a deny with `reason` when the stack offered `challenges`.
    /// - A malformed credential whose Bearer challenge says `error="invalid_request"` is a 400
    ///   (RFC 6750 §3.1), unless the operator configured otherwise.
    /// - A 401 must carry a challenge (RFC 9110 §15.5.2). When no entry that ran offered one,
    ///   credentials cannot help this request, so it is a 403.
    public func status(for reason: ReasonCode, challenges: [String]) -> Int {
        var status = overrides[reason] ?? Self.defaultStatus(for: reason)
        if overrides[reason] == nil, reason == .malformedCredentials,
            challenges.contains(where: { $0.lowercased().contains("error=\"invalid_request\"") })
        {
            status = 400
        }
        if status == 401, challenges.isEmpty { status = 403 }
        return status
    }

    /// What a client may be told: short, stable, and the same for every way a credential can be
    /// wrong (no user enumeration).
    public static func safeMessage(for reason: ReasonCode) -> String {
        switch reason {
        case .missingCredentials: "Authentication is required."
        case .malformedCredentials: "The credentials could not be parsed."
        case .unsupportedScheme: "This authentication scheme is not accepted here."
        case .invalidCredentials: "The credentials are not valid."
        case .expiredCredentials: "The credentials have expired."
        case .revokedCredentials: "The credentials have been revoked."
        case .accountExpired: "The account has expired."
        case .lockedOut: "Too many failed attempts; try again later."
        case .ipNotAllowed: "Access from this network is not allowed."
        case .csrfFailed: "Cross-site request refused."
        case .insufficientPermissions: "You do not have permission to access this resource."
        case .pluginError: "Authentication failed because of an internal error."
        case .backendUnavailable: "The authentication service is temporarily unavailable."
        }
    }

    /// The HTTP answer for `outcome`.
    public func response(for outcome: Outcome) -> AuthResponse {
        guard outcome.decision == .deny else {
            var headers: [HTTPHeader] = []
            if let principal = outcome.principal, isSafeHeaderValue(principal) {
                headers.append(HTTPHeader(principalHeader, principal))
            }
            for attribute in outcome.attributes where isSafeHeaderName(attribute.name) && isSafeHeaderValue(attribute.value) {
                let name = attributeHeaderPrefix + headerCase(attribute.name)
                // The principal header is the plugin-independent truth; an attribute cannot replace it.
                if !name.equalsIgnoringASCIICase(principalHeader) { headers.append(HTTPHeader(name, attribute.value)) }
            }
            return AuthResponse(status: outcome.status, headers: headers, body: [])
        }
        let reason = outcome.reason ?? .pluginError
        var headers: [HTTPHeader] = []
        if outcome.status == 401 {
            // All challenges in one field (RFC 9110 §11.6.1 allows a comma-separated list):
            // proxies that copy a single header (nginx auth_request_set) pass them all.
            headers.append(HTTPHeader("WWW-Authenticate", outcome.challenges.joined(separator: ", ")))
        } else if outcome.status == 403, reason == .insufficientPermissions {
            // RFC 6750 §3.1: a token without the scope a resource needs gets a 403 whose challenge
            // says `error="insufficient_scope"` and which scopes; no other challenge on a 403.
            let scope = outcome.challenges.filter { $0.lowercased().contains("error=\"insufficient_scope\"") }
            if !scope.isEmpty { headers.append(HTTPHeader("WWW-Authenticate", scope.joined(separator: ", "))) }
        }
        if reason == .lockedOut, let retry = outcome.retryAfter ?? (outcome.failDelay > .zero ? outcome.failDelay : nil) {
            headers.append(HTTPHeader("Retry-After", String(max(1, retry.components.seconds))))
        }
        if outcome.status == 503 {
            headers.append(HTTPHeader("Retry-After", "1"))
        }
        headers.append(HTTPHeader("Content-Type", "application/problem+json"))
        headers.append(HTTPHeader("Cache-Control", "no-store"))
        return AuthResponse(status: outcome.status, headers: headers, body: problemBody(status: outcome.status, reason: reason))
    }

    /// RFC 9457 problem details: the reason code as an extension member, a safe message, nothing
    /// that tells one user from another.
    func problemBody(status: Int, reason: ReasonCode) -> [UInt8] {
        let fields = [
            ("type", "\"about:blank\""),
            ("title", JSONText.string(AuthResponse.reasonPhrase(status))),
            ("status", String(status)),
            ("detail", JSONText.string(Self.safeMessage(for: reason))),
            ("reason", JSONText.string(reason.code)),
        ]
        return Array(JSONText.object(fields).utf8)
    }

    private func isSafeHeaderValue(_ value: String) -> Bool {
        !value.isEmpty && !value.utf8.contains { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }
    }

    private func isSafeHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D || $0 == 0x5F }
    }

    /// `role` → `Role`, `user_id` → `User-Id`.
    private func headerCase(_ name: String) -> String {
        name.split(whereSeparator: { $0 == "_" || $0 == "-" }).map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined(separator: "-")
    }
}
