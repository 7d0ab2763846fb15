public import PortcullisPluginKit

/// Checks one user and password against a PAM service: the whole plugin minus the ABI, so it can
/// be tested and benchmarked directly with bytes.
///
/// Thread-safe: every call runs its own PAM transaction on a fresh handle, at most
/// `maxConcurrent` at a time.
public struct PamAuthenticator: Sendable {
    public struct Configuration: Sendable {
        /// The PAM service: the file name under /etc/pam.d (or `confdir`).
        public var service: String
        /// Read the service file from this directory instead (`pam_start_confdir`).
        public var confdir: String?
        /// Also run `pam_acct_mgmt` (expiry, access rules) after a good password.
        public var checkAccount: Bool
        public var maxConcurrent: Int
        /// How long a check waits for a free slot before it gives up with `backend_unavailable`.
        public var queueTimeout: Duration
        /// The Basic challenge offered with every deny.
        public var challenge: String

        public init(
            service: String = "portcullis", confdir: String? = nil, checkAccount: Bool = true,
            maxConcurrent: Int = 16, queueTimeout: Duration = .seconds(10),
            challenge: String = #"Basic realm="portcullis", charset="UTF-8""#
        ) {
            self.service = service
            self.confdir = confdir
            self.checkAccount = checkAccount
            self.maxConcurrent = maxConcurrent
            self.queueTimeout = queueTimeout
            self.challenge = challenge
        }
    }

    /// `PAM_TTY` for every transaction. Like OpenSSH's "ssh" for sessions without a terminal:
    /// modules such as pam_time and pam_access match on it, and some refuse an unset one.
    public static let tty = "http"

    public let configuration: Configuration
    private let limit: ConcurrencyLimit
    private let timing = AuthenticationTiming()

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.limit = ConcurrencyLimit(limit: configuration.maxConcurrent, timeout: configuration.queueTimeout)
    }

    /// Checks a Basic credential's raw bytes. `remoteHost` becomes `PAM_RHOST`.
    ///
    /// A user or password that is not UTF-8 or contains NUL is `malformed_credentials` without
    /// asking PAM: C strings would cut at the NUL (so "secret\0junk" would pass as "secret"),
    /// and the challenge promises UTF-8. An empty user-id names no account: `invalid_credentials`.
    public func authenticate(user: some Collection<UInt8>, password: some Collection<UInt8>, remoteHost: String?) -> PluginOutcome {
        let user = Array(user)
        let password = Array(password)
        for (name, bytes) in [("user-id", user), ("password", password)] {
            if bytes.contains(0) {
                return .deny(.malformedCredentials, challenge: configuration.challenge, detail: "the Basic \(name) contains a NUL byte")
            }
            if String(validating: bytes, as: UTF8.self) == nil {
                return .deny(.malformedCredentials, challenge: configuration.challenge, detail: "the Basic \(name) is not UTF-8")
            }
        }
        if user.isEmpty {
            return .deny(.invalidCredentials, challenge: configuration.challenge, detail: "empty Basic user-id")
        }
        let request = PamTransaction.Request(
            service: configuration.service, confdir: configuration.confdir, user: user, password: password,
            remoteHost: remoteHost, tty: Self.tty, checkAccount: configuration.checkAccount)
        guard let report = limit.run({ PamTransaction.run(request) }) else {
            return .error(.backendUnavailable, detail: "no PAM slot free within \(configuration.queueTimeout) (max_concurrent = \(configuration.maxConcurrent))")
        }
        return PamResultMapping.outcome(report, challenge: configuration.challenge, padding: timing.padding(for: report))
    }

    /// PAM handles started and not yet ended in this process (for leak tests and diagnostics).
    public static var openHandles: Int { PamTransaction.openHandles.load(ordering: .relaxed) }
}
