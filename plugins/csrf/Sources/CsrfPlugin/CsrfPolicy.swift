public import PortcullisPluginKit

/// The whole decision, in the order of the plugin's README table. Pure: a function of the
/// request's method, target and headers, so it is safe to call from any thread.
///
/// Every pass is an allow without a principal: this entry vouches that the request was not
/// forged by another site, never for who sent it. Every refusal is `csrf_failed` (403, no
/// challenge: credentials cannot help) with a detail saying which header failed which check.
public struct CsrfPolicy: Sendable {
    public let origins: Set<Origin>
    public let allowSameSite: Bool
    public let allowNone: Bool
    public let denyWhenHeadersMissing: Bool
    public let ambient: AmbientMode
    public let exemptPaths: [PathPattern]

    public init(
        origins: Set<Origin>, allowSameSite: Bool = false, allowNone: Bool = true, denyWhenHeadersMissing: Bool = false,
        ambient: AmbientMode = .cookieOrBasic, exemptPaths: [PathPattern] = []
    ) {
        self.origins = origins
        self.allowSameSite = allowSameSite
        self.allowNone = allowNone
        self.denyWhenHeadersMissing = denyWhenHeadersMissing
        self.ambient = ambient
        self.exemptPaths = exemptPaths
    }

    public func decide(_ request: PluginRequest) -> PluginOutcome {
        // A path RequestPath refuses could be read two ways upstream: it is never exempt.
        if !exemptPaths.isEmpty, let path = try? RequestPath(target: request.path),
           let pattern = exemptPaths.first(where: { $0.matches(path) })
        {
            return pass("path \(Self.shown(path.text)) exempt (exempt_paths \(pattern.text))")
        }
        guard let method = EffectiveMethod(of: request).unsafe else {
            return pass("safe method \(request.method)")
        }
        guard let credential = ambient.credential(of: request) else {
            return pass("\(method) without ambient credentials (no Cookie, no Basic)")
        }
        let checked = "\(method) with \(credential)"

        let fetchSites = request.headerValues("Sec-Fetch-Site")
        let originHeaders = request.headerValues("Origin")
        // Two of either cannot come from one browser request: a proxy or a client made them up.
        if fetchSites.count > 1 { return refuse("\(checked): \(fetchSites.count) Sec-Fetch-Site headers") }
        if originHeaders.count > 1 { return refuse("\(checked): \(originHeaders.count) Origin headers") }
        let origin = originHeaders.first.map { Self.trimmed($0.text) }

        guard let siteValue = fetchSites.first.map({ Self.trimmed($0.text) }) else {
            return withoutFetchMetadata(checked, origin: origin)
        }
        guard let site = FetchSite(header: siteValue) else {
            return refuse("\(checked): Sec-Fetch-Site '\(Self.shown(siteValue))' is not same-origin, same-site, cross-site or none")
        }
        switch site {
        case .sameOrigin:
            return pass("\(checked): Sec-Fetch-Site same-origin")
        case .none:
            return allowNone
                ? pass("\(checked): Sec-Fetch-Site none (the user's own navigation)")
                : refuse("\(checked): Sec-Fetch-Site none refused (allow_none = false)")
        case .sameSite:
            if allowSameSite { return pass("\(checked): Sec-Fetch-Site same-site (allow_same_site = true)") }
            return listedOrigin(origin, checked: "\(checked): Sec-Fetch-Site same-site", refusal: "(allow_same_site = false)")
        case .crossSite:
            return listedOrigin(origin, checked: "\(checked): Sec-Fetch-Site cross-site", refusal: "")
        }
    }

    /// An older browser, a plain-HTTP site (browsers send Fetch Metadata only to trustworthy
    /// origins), or no browser at all: only `Origin` can tell. It is not compared with `Host`,
    /// which behind `auth_request` names the daemon, not the application.
    private func withoutFetchMetadata(_ checked: String, origin: String?) -> PluginOutcome {
        guard let origin else {
            return denyWhenHeadersMissing
                ? refuse("\(checked): neither Sec-Fetch-Site nor Origin (missing = deny)")
                : pass("\(checked): neither Sec-Fetch-Site nor Origin: not a browser (missing = allow)")
        }
        return listedOrigin(origin, checked: "\(checked): no Sec-Fetch-Site", refusal: "")
    }

    /// Passes when `Origin` is exactly one of `origins`.
    private func listedOrigin(_ value: String?, checked: String, refusal: String) -> PluginOutcome {
        let suffix = refusal.isEmpty ? "" : " " + refusal
        guard let value else { return refuse("\(checked), no Origin\(suffix)") }
        if value == "null" {
            return refuse("\(checked), Origin null (an opaque origin: sandboxed frame, file, or a redirect across origins)\(suffix)")
        }
        guard let origin = try? Origin(value) else {
            return refuse("\(checked), Origin '\(Self.shown(value))' is not an origin\(suffix)")
        }
        guard origins.contains(origin) else {
            return refuse("\(checked), Origin \(Self.shown(origin.text)) not in origins\(suffix)")
        }
        return pass("\(checked), Origin \(origin.text) in origins")
    }

    private func pass(_ detail: String) -> PluginOutcome {
        .allow(Identity(principal: ""), detail: detail)
    }

    private func refuse(_ detail: String) -> PluginOutcome {
        .deny(.csrfFailed, detail: detail)
    }

    /// A request's value in a detail: bounded (the host escapes control characters when it logs).
    static func shown(_ value: String) -> String {
        value.count <= 100 ? value : String(value.prefix(100)) + "…"
    }

    /// A header value without the spaces and tabs around it (RFC 9110 §5.5 OWS).
    static func trimmed(_ value: String) -> String {
        String(value.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
