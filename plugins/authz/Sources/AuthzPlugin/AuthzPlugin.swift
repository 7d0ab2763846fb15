public import PortcullisPluginKit

/// `authz`: "authenticated, but not allowed here". Ordered rules by method, path, host, network,
/// user, group, claim and scope, read from a TOML file reloaded on change; placed after the
/// credential entries, it reads the identity they established (ABI 1.1).
///
/// - no identity yet: deny `missing_credentials` (the stack answers 401 with the credential
///   entries' challenges);
/// - a path the upstream could read two ways (``RequestPath``): deny `insufficient_permissions`;
/// - the first matching rule decides; none: deny `insufficient_permissions` (403), with
///   `Bearer error="insufficient_scope"` when a Bearer token lacked the scopes of the allow rule
///   that would otherwise have matched (RFC 6750 §3.1).
///
/// Its allow carries no principal: it only passes, the credential entry's principal is who gets
/// in. Not blocking (rules are in memory; the file is looked at in the background, as `WatchedFile`
/// does), not cacheable (answers depend on method, path and host, which the cache does not key).
public final class AuthzPlugin: PortcullisPlugin {
    public static let name = "authz"
    public static let version = "1.0.0"
    public static let options: [PluginOption] = [
        .string("rules", required: true, help: "the rules file (TOML, [[rule]] tables; see the plugin's README)"),
        .bool("head_is_get", help: "a HEAD request also matches rules that list GET (default false: only rules that list HEAD)"),
        .string("realm", help: "the realm in the Bearer insufficient_scope challenge (default: none)"),
        .integer("reload_interval", in: 0...3600, help: "seconds between checks of the rules file for changes; 0 never re-reads it (default 1)"),
    ]
    static let matchesMetric = "portcullis_authz_rule_matches_total"

    public let rules: WatchedFile<RuleSet>
    let headIsGet: Bool
    let realm: Realm?
    let host: PluginHost

    public init(options: PluginOptions, host: PluginHost) throws {
        headIsGet = options.bool("head_is_get", default: false)
        realm = try options.string("realm").map { text throws(PluginConfigurationError) in try Realm(text) }
        self.host = host
        let seconds = options.integer("reload_interval", default: 1)
        let path = options.string("rules") ?? ""
        do {
            rules = try WatchedFile(path: path, interval: seconds > 0 ? .seconds(seconds) : nil, report: { change in
                switch change {
                case .reloaded(let set): host.log(.info, "authz: reloaded \(set.rules.count) rules from \(path)")
                case .failed(let error, let kept): host.log(.error, "authz: keeping the previous \(kept.rules.count) rules: \(error)")
                case .unchanged, .changing: break
                }
            }) { snapshot throws(RuleFileError) in
                guard let text = String(validating: snapshot.bytes, as: UTF8.self) else {
                    throw RuleFileError(file: snapshot.path, line: nil, key: "", message: "the file is not UTF-8 text")
                }
                return try RuleFile.parse(text, file: snapshot.path)
            }
        } catch let error as RuleFileError {
            throw PluginConfigurationError(error.description)
        } catch {
            throw PluginConfigurationError("argument 'rules': \(error)")
        }
        for rule in rules.value.rules where rule.shadow && rule.effect == .allow {
            host.log(.info, "authz: \(path):\(rule.line): shadow allow rule '\(rule.name)' only logs and counts what it would allow")
        }
    }

    public func check(_ request: PluginRequest) -> PluginOutcome {
        guard let identity = request.identity, !identity.principal.isEmpty else {
            return .deny(.missingCredentials, detail: "no identity yet: authz decides after a credential entry allowed")
        }
        let path: RequestPath
        do {
            path = try RequestPath(target: request.path)
        } catch {
            return .deny(.insufficientPermissions, detail: Explanation.refused(error))
        }
        let set = rules.current()
        let method = request.method
        let facts = set.facts(method: method, path: path, host: request.host, client: request.client, identity: identity, headIsGet: headIsGet)
        let evaluation = set.evaluate(facts, explain: true)
        let stack = request.stack
        for index in evaluation.shadowMatches {
            let rule = set.rules[index]
            host.log(.info, "authz: shadow rule '\(rule.name)' (\(rule.effect.rawValue)) matched \(method) \(path.text) in stack \(stack)")
            count(rule, stack: stack)
        }
        if let index = evaluation.decidingRule { count(set.rules[index], stack: stack) }
        let detail = Explanation.detail(evaluation, rules: set, path: path, method: method)
        if evaluation.allowed {
            // No principal: the credential entry's is the one that lets the request in.
            return .allow(Identity(principal: ""), detail: detail, cacheTTL: 0)
        }
        return .deny(.insufficientPermissions, challenge: scopeChallenge(request, evaluation, set), detail: detail)
    }

    /// RFC 6750 §3.1: a Bearer token that lacked only the scopes of the nearest allow rule learns
    /// which scopes it needs (the scopes are the resource's, not a secret; the rule's name is not said).
    private func scopeChallenge(_ request: PluginRequest, _ evaluation: Evaluation, _ set: RuleSet) -> String? {
        guard case .bearer = request.credential, let nearest = evaluation.nearestAllow, nearest.failed == .scopes,
              let scopes = set.rules[nearest.rule].scopes
        else { return nil }
        var text = "Bearer "
        if let realm { text += "realm=\(realm.quoted), " }
        return text + "error=\"insufficient_scope\", scope=\(Challenge.quotedString(scopes.joined(separator: " ")))"
    }

    private func count(_ rule: Rule, stack: String) {
        host.count(Self.matchesMetric, labels: [
            ("stack", stack), ("rule", rule.name), ("effect", rule.effect.rawValue), ("shadow", rule.shadow ? "true" : "false"),
        ])
    }
}
