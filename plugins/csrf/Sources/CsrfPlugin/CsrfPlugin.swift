public import PortcullisPluginKit

/// `csrf`: refuses unsafe requests that another site could have made a browser send with the
/// credentials it attaches by itself (cookies, a cached Basic login), using what browsers say
/// about a request's initiator: `Sec-Fetch-Site` (Fetch Metadata), else `Origin`. The design of
/// Go 1.25's `CrossOriginProtection` and the OWASP cheat sheet; no token, so no state and no
/// body: a forward-auth daemon sees neither.
///
/// An access check, not a credential check: a pass names no principal and grants nothing by
/// itself; use it as a `requisite` gate before or after the credential entries. Not cacheable:
/// the answer depends on headers the verification cache does not key on. Not blocking: a few
/// header comparisons.
public final class CsrfPlugin: PortcullisPlugin {
    public static let name = "csrf"
    public static let version = "1.0.0"

    public static let options: [PluginOption] = [
        .list("origins", help: "origins (scheme://host[:port]) whose cross-site requests pass; compared exactly, default ports dropped"),
        .bool("allow_same_site", help: "let Sec-Fetch-Site: same-site requests pass (default false: a sibling subdomain is another application)"),
        .bool("allow_none", help: "let Sec-Fetch-Site: none pass, a request the user started (default true)"),
        .string("missing", help: "allow or deny a request with neither Sec-Fetch-Site nor Origin (default allow: not a browser)"),
        .string("ambient", help: "cookie+basic (default): check unsafe requests that carry a Cookie or browser-managed Authorization; always: check every unsafe request"),
        .list("exempt_paths", help: "paths never checked, exact or with * and ** (e.g. /hooks/github, /hooks/**), matched on the normalized path"),
    ]

    public let policy: CsrfPolicy

    public init(options: PluginOptions, host: PluginHost) throws {
        var origins = Set<Origin>()
        for (index, value) in options.list("origins").enumerated() {
            do { origins.insert(try Origin(value)) } catch {
                throw PluginConfigurationError("argument 'origins' entry \(index + 1): '\(value)' is not an origin: it \(error)")
            }
        }
        var exempt: [PathPattern] = []
        for (index, value) in options.list("exempt_paths").enumerated() {
            let pattern: PathPattern
            do { pattern = try PathPattern(value) } catch {
                throw PluginConfigurationError("argument 'exempt_paths' entry \(index + 1): \(error)")
            }
            // Valid, but it switches the plugin off for everything: refuse, as a dangerous value.
            if pattern.text == "/**" {
                throw PluginConfigurationError("argument 'exempt_paths' entry \(index + 1): '\(value)' exempts every path; remove the csrf entry instead")
            }
            exempt.append(pattern)
        }
        policy = CsrfPolicy(
            origins: origins,
            allowSameSite: options.bool("allow_same_site", default: false),
            allowNone: options.bool("allow_none", default: true),
            denyWhenHeadersMissing: try Self.choice(options, "missing", ["allow": false, "deny": true], default: false),
            ambient: try Self.choice(options, "ambient", ["cookie+basic": .cookieOrBasic, "always": .always], default: .cookieOrBasic),
            exemptPaths: exempt)
    }

    public func check(_ request: PluginRequest) -> PluginOutcome {
        policy.decide(request)
    }

    /// A string argument that must be one of `choices`.
    private static func choice<Value>(_ options: PluginOptions, _ name: String, _ choices: KeyValuePairs<String, Value>, default value: Value) throws -> Value {
        guard let given = options.string(name) else { return value }
        guard let chosen = choices.first(where: { $0.key == given }) else {
            throw PluginConfigurationError("argument '\(name)' must be \(choices.map(\.key).joined(separator: " or ")), not '\(given)'")
        }
        return chosen.value
    }
}
