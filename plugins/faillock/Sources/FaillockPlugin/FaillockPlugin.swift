public import PortcullisPluginKit
import PortcullisProtocol

/// `faillock`: locks a (user-id, client address) pair after `deny` failures within
/// `fail_interval`, and a client address after `deny_per_address` failures across all users
/// (password spraying), for `unlock_time` seconds. Placed first in a stack (`requisite`), so a
/// locked key is refused before any password is verified: a lock costs no bcrypt or PAM work, and
/// the answer is the same whether the password was right.
///
/// The counts live in the host's shared store (ABI 1.2), so every daemon sharing a backend counts
/// together and a lock set by one holds on all. The check reads only the host's memory.
///
/// Not `.cacheable` (a lock must hold at once) and not blocking. Its allow names no principal:
/// it is an access check, the credential entries after it say who the caller is.
public struct FaillockPlugin: ObservingPlugin {
    public static let name = "faillock"
    public static let version = "1.0.0"

    public static let options: [PluginOption] = [
        .integer("deny", in: 1...1000, help: "failures of one user-id from one address within fail_interval that lock the pair (default 5)"),
        .integer("fail_interval", in: 1...604_800, help: "seconds a failure counts, after the last one (default 900)"),
        .integer("unlock_time", in: 1...604_800, help: "seconds a key stays locked (default 600)"),
        .integer("deny_per_address", in: 1...1_000_000, help: "failures from one address, any user-id, that lock the address (default 4 × deny)"),
    ]

    let limits: FailureLimits
    let host: PluginHost

    public init(options: PluginOptions, host: PluginHost) throws {
        guard host.offersStore else {
            throw PluginConfigurationError("faillock needs a host with the shared store (ABI 1.2 store services)")
        }
        let deny = options.integer("deny", default: 5)
        limits = FailureLimits(
            perUser: deny, perAddress: options.integer("deny_per_address", default: 4 * deny),
            window: .seconds(options.integer("fail_interval", default: 900)), lock: .seconds(options.integer("unlock_time", default: 600)))
        self.host = host
    }

    /// Locked → `locked_out` with the time left; else an allow without a principal. Never reads
    /// the password: a locked user-id with the right password gets the same answer as a wrong one.
    /// On every request: the keys are written into a stack buffer and looked up in the host's
    /// memory, no String made (bench/faillock).
    public func check(_ request: PluginRequest) -> PluginOutcome {
        let client = request.client
        var left = LockoutKey.withAddressKey(client) { host.storeFlagged(utf8: $0) }
        if case .basic(let user, _) = request.credential {
            left = max(left, LockoutKey.withUserKey(user.bytes, client: client) { host.storeFlagged(utf8: $0) })
        }
        guard left <= .zero else { return .lockedOut(retryAfter: left, detail: "too many failed attempts (\(FailureKeys(request).description))") }
        return Self.open
    }

    private static let open = PluginOutcome.allow(Identity(principal: ""))

    /// Counts the failures that say a credential was guessed wrong; an allow clears the
    /// user-id's count from that address (never the address's: a sprayer's one good guess must
    /// not reset the budget for the rest).
    public func observe(_ request: PluginRequest, decision: PluginDecision) {
        if decision.allowed {
            if case .basic(let user, _) = request.credential {
                LockoutKey.withUserKey(user.bytes, client: request.client) { host.storeClear(utf8: $0) }
            }
            return
        }
        guard let reason = decision.reason else { return }
        let keys = FailureKeys(request)
        guard keys.counts(reason) else { return }
        if let user = keys.user { count(user, limit: limits.perUser, keys: keys) }
        count(keys.address, limit: limits.perAddress, keys: keys)
    }

    /// One failure for `key`; logs (notice) when it locked the key.
    private func count(_ key: String, limit: Int, keys: FailureKeys) {
        let wasLocked = host.storeFlagged(key) > .zero
        let count = host.storeHit(key, window: limits.window, limit: limit, flagFor: limits.lock)
        guard !wasLocked, host.storeFlagged(key) > .zero else { return }
        let what = key == keys.address ? "address: address=\(keys.addressText)" : "user from address: \(keys.description)"
        host.log(.notice, "locked \(what) count=\(count) limit=\(limit) unlock_time=\(limits.lock.components.seconds)s")
    }
}

/// `deny`, `deny_per_address`, `fail_interval` and `unlock_time`, as the store takes them.
struct FailureLimits: Sendable {
    var perUser: Int
    var perAddress: Int
    var window: Duration
    var lock: Duration
}
