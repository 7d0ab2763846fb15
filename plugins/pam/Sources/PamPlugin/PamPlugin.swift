public import PortcullisPluginKit

#if canImport(Glibc)
import Glibc
#endif

/// `pam`: checks HTTP Basic credentials against the machine's PAM stack (pam_unix, pam_sss,
/// pam_ldap, pam_faillock…). The adapter between the ABI and ``PamAuthenticator``.
public struct PamPlugin: PortcullisPlugin {
    public static let name = "pam"
    public static let version = "1.0.0"
    /// Blocking: PAM modules read files, fork helpers and talk to directories.
    public static let flags: PluginFlags = [.blocking, .cacheable]
    public static let consumes: Set<CredentialKind> = [.basic]

    public static let options: [PluginOption] = [
        .string("service", help: "PAM service name: the file under /etc/pam.d (default portcullis)"),
        .string("realm", help: "realm of the Basic challenge (default portcullis)"),
        .bool("account", help: "also run pam_acct_mgmt: expiry and access rules (default true)"),
        .string("confdir", help: "absolute directory to read the service file from (pam_start_confdir), instead of /etc/pam.d"),
        .integer("max_concurrent", in: 1...1024, help: "PAM transactions in flight at once; others wait (default 16)"),
        .integer("queue_timeout", in: 1...300, help: "seconds a check waits for a free slot before backend_unavailable (default 10)"),
    ]

    public let authenticator: PamAuthenticator

    public init(options: PluginOptions, host: PluginHost) throws {
        let service = options.string("service") ?? "portcullis"
        // Linux-PAM looks the service file up by this name: no paths, no hidden files.
        guard !service.isEmpty, !service.contains("/"), !service.hasPrefix("."), !service.utf8.contains(0) else {
            throw PluginConfigurationError("argument 'service' must be a file name under /etc/pam.d, not '\(service)'")
        }
        let realm = try Realm(options, default: "portcullis")
        let confdir = options.string("confdir")
        if let confdir {
            guard confdir.hasPrefix("/") else {
                throw PluginConfigurationError("argument 'confdir' must be an absolute path, not '\(confdir)'")
            }
            guard access(confdir + "/" + service, R_OK) == 0 else {
                throw PluginConfigurationError("argument 'confdir': cannot read the service file \(confdir)/\(service)")
            }
        } else if !["/etc/pam.d/", "/usr/lib/pam.d/"].contains(where: { access($0 + service, R_OK) == 0 }) {
            // Not fatal: Linux-PAM then uses the "other" service, which denies on Debian.
            host.log(.warning, "pam: no /etc/pam.d/\(service): Linux-PAM will use the 'other' service for every check")
        }
        Self.warnIfShadowIsUnreadable(service: service, confdir: confdir, host: host)
        authenticator = PamAuthenticator(configuration: .init(
            service: service,
            confdir: confdir,
            checkAccount: options.bool("account", default: true),
            maxConcurrent: options.integer("max_concurrent", default: 16),
            queueTimeout: .seconds(options.integer("queue_timeout", default: 10)),
            challenge: Challenge.basic(realm: realm)))
    }

    public var challenge: String? { authenticator.configuration.challenge }

    /// pam_unix in a process that cannot read /etc/shadow verifies only the password of the user
    /// the process runs as (through unix_chkpwd): every other account fails. Say so at start,
    /// where `config check` shows it, instead of leaving it to the logs of the first requests.
    static func warnIfShadowIsUnreadable(service: String, confdir: String?, host: PluginHost) {
        guard let directory = PamServiceFile.directory(for: service, confdir: confdir),
              PamServiceFile(directory: directory).uses("pam_unix.so", service: service, types: ["auth", "account"]),
              !PamServiceFile.canRead("/etc/shadow") else { return }
        host.log(.warning, "pam: \(directory)/\(service) uses pam_unix, but this process (uid \(getuid())) cannot read /etc/shadow: "
                 + "pam_unix will refuse every account but its own; run as root or in group shadow (see the pam plugin's README)")
    }

    public func check(_ request: PluginRequest) -> PluginOutcome {
        let challenge = authenticator.configuration.challenge
        switch request.credential {
        case .basic(let user, let password):
            // Fail closed: without PAM_RHOST, pam_access network rules would not apply at all.
            guard let client = request.client else {
                return .deny(.ipNotAllowed, detail: "no client address (no peer, or a forwarded chain the host could not resolve): PAM is not asked without PAM_RHOST")
            }
            // An IPv4 client reached over IPv6 is written as IPv4, as pam_access rules expect.
            return authenticator.authenticate(user: user.bytes, password: password.bytes, remoteHost: client.unmapped.description)
        case .malformed(let scheme) where scheme.lowercased() == "basic":
            return .deny(.malformedCredentials, challenge: challenge, detail: "the Basic credential could not be parsed")
        case .none, .bearer, .other, .malformed:
            return missingCredential(request.credential)
        }
    }
}
