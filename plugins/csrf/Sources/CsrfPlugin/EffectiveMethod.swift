import PortcullisPluginKit

/// The method that counts for the check: the request's own, unless something asks the
/// application to treat it as another one.
///
/// Frameworks honour method overrides (`X-HTTP-Method-Override: DELETE` on a GET or POST, a
/// `_method` query parameter): a page that can send a safe GET with such a header could make
/// the application delete. So the request is safe only when its method and every override
/// named are safe and the overrides agree; an override never makes an unsafe method safe.
struct EffectiveMethod: Sendable, Equatable {
    /// The method that makes the request unsafe, with where it came from; nil when safe.
    let unsafe: String?

    /// Methods a browser lets a cross-site page send without the target's consent, and that
    /// must not change state (RFC 9110 §9.2.1). Compared exactly: methods are case-sensitive
    /// (RFC 9110 §9.1), so `get` or `Get` is not GET and is checked. TRACE is safe in the RFC
    /// but no browser page can send it (Fetch forbids it), so it gains nothing from passing
    /// unchecked: it is checked, as Go's CrossOriginProtection does.
    static let safeMethods: Set<String> = ["GET", "HEAD", "OPTIONS"]

    /// The headers frameworks read an override from.
    static let overrideHeaders = ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"]

    init(of request: PluginRequest) {
        let method = request.method
        var overrides: [(value: String, source: String)] = []
        for name in Self.overrideHeaders {
            overrides += request.headerValues(name).map { (CsrfPolicy.trimmed($0.text), name) }
        }
        overrides += Self.queryOverrides(request.path).map { ($0, "_method query parameter") }

        if !Self.safeMethods.contains(method) {
            unsafe = Self.shown(method)
        } else if let named = overrides.first(where: { !Self.safeMethods.contains($0.value) }) {
            unsafe = "\(method) overridden to \(Self.shown(named.value)) (\(named.source))"
        } else if Set(overrides.map(\.value)).count > 1 {
            unsafe = "\(method) with method overrides that disagree (\(overrides.map { "\($0.source): \($0.value)" }.joined(separator: ", ")))"
        } else {
            unsafe = nil
        }
    }

    /// Values of `_method` in the query string, undecoded (an escaped value is not a safe method
    /// as written, so it is checked).
    private static func queryOverrides(_ target: String) -> [String] {
        guard let question = target.firstIndex(of: "?") else { return [] }
        let query = target[target.index(after: question)...].prefix { $0 != "#" }
        return query.split(separator: "&", omittingEmptySubsequences: true).compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return parts.first == "_method" ? String(parts.count > 1 ? parts[1] : "") : nil
        }
    }

    /// A method for the detail: bounded, and visibly empty when empty.
    private static func shown(_ method: String) -> String {
        method.isEmpty ? "(empty method)" : String(method.prefix(32))
    }
}
