public import PortcullisPluginKit

#if canImport(Glibc)
import Glibc
#endif

/// Checks HTTP Basic credentials against an htpasswd or shadow file, verified with libxcrypt
/// (plus Apache's `$apr1$` and `{SHA}`, which libxcrypt lacks).
///
/// Outcomes:
/// - no credential: deny `missing_credentials`; only another scheme (Bearer, …): deny
///   `unsupported_scheme` — both offering the Basic challenge (the SDK's credential requirement),
///   so a `required` crypt fails the stack and a `sufficient` one lets later entries try;
/// - a Basic header the host could not parse: deny `malformed_credentials`;
/// - unknown user, locked entry or wrong password: deny `invalid_credentials`, after the same work
///   (an unknown user's password is verified against a dummy hash of the file's most common scheme);
/// - right password on an expired shadow entry: deny `account_expired` or `expired_credentials`;
/// - otherwise allow, with the user name as the principal.
public struct CryptPlugin: PortcullisPlugin {
    public static let name = "crypt"
    public static let version = "1.0.0"
    /// Hashes are slow on purpose and the file is read from disk: run on the host's pool. The answer
    /// depends only on the credential (and the file, which the cache TTL bounds), so it is cacheable.
    public static let flags: PluginFlags = [.blocking, .cacheable]
    public static let consumes: Set<CredentialKind> = [.basic]
    public static let options: [PluginOption] = [
        .string("file", required: true, help: "the htpasswd or shadow file"),
        .string("realm", help: "the realm of the Basic challenge (default \"\(defaultRealm)\")"),
        .string("format", help: "htpasswd, shadow, or detect (default: detect from the first entry)"),
        .bool("allow_plaintext", help: "accept plaintext passwords in the file (default false)"),
        .string("groups_file", help: "an Apache AuthGroupFile ('group: user user'); the user's groups become the groups attribute"),
    ]
    static let defaultRealm = "Restricted"

    /// The challenge this plugin offers with every answer but allow.
    public let challenge: String?
    let table: PasswordTable
    /// `groups_file`, reloaded like the password file.
    let groups: WatchedFile<GroupFile>?

    public init(options: PluginOptions, host: PluginHost) throws {
        try self.init(options: options, checkInterval: .seconds(1)) { host.log($0, $1) }
    }

    init(options: PluginOptions, checkInterval: Duration, log: @escaping PasswordTable.Log) throws {
        let formatName = options.string("format") ?? "detect"
        guard formatName == "detect" || PasswordFile.Format(rawValue: formatName) != nil else {
            throw PluginConfigurationError("argument 'format' must be htpasswd, shadow or detect, not '\(formatName)'")
        }
        challenge = Challenge.basic(realm: try Realm(options, default: Self.defaultRealm))
        table = try PasswordTable(
            path: options.string("file") ?? "", format: PasswordFile.Format(rawValue: formatName),
            allowPlaintext: options.bool("allow_plaintext", default: false), checkInterval: checkInterval, log: log)
        groups = try options.string("groups_file").map { try WatchedFile(groupsPath: $0, checkInterval: checkInterval, log: log) }
    }

    /// Changes with every reload of the password or group file (both only count up, so their sum
    /// changes whenever either does): cached answers from an old file stop counting.
    public var generation: UInt64 { table.generation &+ (groups?.generation ?? 0) }

    public func check(_ request: PluginRequest) -> PluginOutcome {
        switch request.credential {
        case .basic(let user, let password):
            return authenticate(user: user.bytes, password: password.bytes)
        case .malformed(let scheme) where scheme.lowercased() == "basic":
            return .deny(.malformedCredentials, challenge: challenge, detail: "malformed Basic credentials")
        case .none, .bearer, .other, .malformed:
            return missingCredential(request.credential)
        }
    }

    /// Verifies raw Basic credential bytes (RFC 7617: compared as bytes, never decoded text).
    func authenticate(user: UnsafeRawBufferPointer, password: UnsafeRawBufferPointer) -> PluginOutcome {
        let file = table.current()
        let found = file.entries[Array(user)]
        guard let entry = found, entry.hash != .locked else {
            // Same work as a known user's wrong password: no user enumeration by timing.
            _ = file.dummy.verify(password)
            return .deny(.invalidCredentials, challenge: challenge, detail: found == nil ? "unknown user" : "locked entry")
        }
        guard entry.hash.verify(password) else {
            return .deny(.invalidCredentials, challenge: challenge, detail: "wrong password")
        }
        let now = time(nil)
        let today = now / 86_400
        if let aging = entry.aging {
            if let reason = aging.refusal(today: today) {
                let detail = reason == .accountExpired ? "account expired (shadow)" : "password expired (shadow)"
                return .deny(reason, challenge: challenge, detail: detail)
            }
            // The allow stays true until the next day on which the entry could expire.
            if let day = aging.nextRefusalDay(after: today) {
                return .allow(identity(entry, user: user), cacheTTL: day * 86_400 - now)
            }
        }
        return .allow(identity(entry, user: user))
    }

    private func identity(_ entry: PasswordFile.Entry, user: UnsafeRawBufferPointer) -> Identity {
        Identity(principal: entry.principal, attributes: groups?.current().attributes(of: Array(user)) ?? [])
    }
}
