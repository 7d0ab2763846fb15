import PortcullisNetwork
import PortcullisPluginKit

/// One rule of a rules file, compiled: every condition it names, in the form that is cheapest
/// to test. A condition the rule does not name is nil and always holds. A class: the decision
/// loop then reads a rule through one reference instead of copying a dozen fields.
public final class Rule: Sendable {
    public enum Effect: String, Sendable {
        case allow, deny
    }

    public let name: String
    public let effect: Effect
    /// Logs and counts a match, then evaluation goes on as if it had not matched.
    public let shadow: Bool
    /// The line of its `[[rule]]` header, for messages.
    public let line: Int

    /// Bits of ``MethodTable``; nil: any method.
    let methods: MethodSet?
    let hosts: [HostPattern]?
    let paths: [PathMatcher]?
    let networks: [IPPrefix]?
    let networksNot: [IPPrefix]?
    let users: [String]?
    let groups: [String]?
    /// Each attribute must carry one of its values.
    let claims: [(name: String, values: [String])]?
    /// The identity must carry every one.
    public let scopes: [String]?

    init(name: String, effect: Effect, shadow: Bool, line: Int, methods: MethodSet?, hosts: [HostPattern]?, paths: [PathMatcher]?,
         networks: [IPPrefix]?, networksNot: [IPPrefix]?, users: [String]?, groups: [String]?,
         claims: [(name: String, values: [String])]?, scopes: [String]?) {
        self.name = name
        self.effect = effect
        self.shadow = shadow
        self.line = line
        self.methods = methods
        self.hosts = hosts
        self.paths = paths
        self.networks = networks
        self.networksNot = networksNot
        self.users = users
        self.groups = groups
        self.claims = claims
        self.scopes = scopes
    }

    /// The conditions in the order they are tested: what the request asks for first (cheap, and
    /// what tells an operator the rule is about this request at all), then who asks, scopes last,
    /// so that a rule failing only on scopes is one a token with more scopes would pass.
    public enum Condition: String, Sendable, CaseIterable, Comparable {
        case methods, hosts, paths, networks, networksNot = "networks_not", users, groups, claims, scopes

        /// The position in the testing order (a switch: no array on the request path).
        var rank: Int {
            switch self {
            case .methods: 0
            case .hosts: 1
            case .paths: 2
            case .networks: 3
            case .networksNot: 4
            case .users: 5
            case .groups: 6
            case .claims: 7
            case .scopes: 8
            }
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

    func failsHosts(_ facts: RequestFacts) -> Bool {
        guard let hosts else { return false }
        return !hosts.contains { $0.matches(facts.host) }
    }

    /// The first condition that does not hold, or nil when the rule matches. Where the client
    /// address is unknown, a network condition resolves against the request: it holds for a
    /// deny rule and fails for an allow rule (fail closed either way).
    /// `path` is the normalized path's bytes.
    func firstFailure(_ facts: RequestFacts, path: UnsafeBufferPointer<UInt8>) -> Condition? {
        if let methods, !methods.intersects(facts.methods) { return .methods }
        if failsHosts(facts) { return .hosts }
        if let paths, !paths.contains(where: { $0.matches(facts.path, bytes: path) }) { return .paths }
        return firstFailureAfterPaths(facts)
    }

    /// The first failure among the conditions after `paths`: who asks, and from where.
    func firstFailureAfterPaths(_ facts: RequestFacts) -> Condition? {
        if let networks {
            if let client = facts.client {
                if !networks.contains(where: { $0.contains(client) }) { return .networks }
            } else if effect == .allow {
                return .networks
            }
        }
        if let networksNot {
            if let client = facts.client {
                if networksNot.contains(where: { $0.contains(client) }) { return .networksNot }
            } else if effect == .allow {
                return .networksNot
            }
        }
        if let users, !users.contains(where: { $0.utf8.elementsEqual(facts.principal.utf8) }) { return .users }
        if let groups, !facts.groups.contains(where: { held in groups.contains { $0.utf8.elementsEqual(held.utf8) } }) { return .groups }
        if let claims {
            for claim in claims where !facts.hasAny(claim.values, in: claim.name) { return .claims }
        }
        if let scopes {
            for scope in scopes where !facts.scopes.contains(where: { $0.utf8.elementsEqual(scope.utf8) }) { return .scopes }
        }
        return nil
    }
}
