import CLibpam
import PortcullisPluginKit

/// PAM result codes to Portcullis outcomes: the table in plugins/pam/README.md, in code.
enum PamResultMapping {
    /// What a failed transaction means. `PAM_AUTH_ERR` and `PAM_USER_UNKNOWN` share one reason so
    /// that answers never tell whether an account exists. So does `PAM_AUTHINFO_UNAVAIL` from
    /// `pam_authenticate`: pam_unix in a daemon that cannot read /etc/shadow answers it for every
    /// existing account (and `PAM_USER_UNKNOWN` for the others), so a 503 there would list the
    /// accounts. The log detail keeps the real code.
    static func reason(status: Int32, stage: PamTransaction.Stage) -> (verdict: Verdict, reason: ReasonCode) {
        switch status {
        case PAM_AUTH_ERR, PAM_USER_UNKNOWN: (.deny, .invalidCredentials)
        case PAM_AUTHINFO_UNAVAIL where stage == .authenticate: (.deny, .invalidCredentials)
        case PAM_ACCT_EXPIRED: (.deny, .accountExpired)
        case PAM_NEW_AUTHTOK_REQD, PAM_CRED_EXPIRED, PAM_AUTHTOK_EXPIRED: (.deny, .expiredCredentials)
        case PAM_MAXTRIES: (.deny, .lockedOut)
        case PAM_PERM_DENIED where stage == .account: (.deny, .insufficientPermissions)
        case PAM_AUTHINFO_UNAVAIL: (.error, .backendUnavailable)
        default: (.error, .pluginError)
        }
    }

    /// `padding` is added to the fail delay of a deny (see ``AuthenticationTiming``).
    static func outcome(_ report: PamTransaction.Report, challenge: String, padding: Duration = .zero) -> PluginOutcome {
        let detail = describe(report)
        guard report.status == PAM_SUCCESS else {
            let (verdict, reason) = reason(status: report.status, stage: report.stage)
            guard verdict == .deny else { return .error(reason, detail: detail) }
            let detail = report.status == PAM_AUTHINFO_UNAVAIL
                ? detail + "; answered as invalid_credentials, so that answers do not tell which accounts exist" : detail
            let delay = Duration.microseconds(report.failDelayMicroseconds) + padding
            return .deny(reason, challenge: challenge, detail: detail, failDelay: delay > .zero ? delay : nil)
        }
        // The stack said yes but left no usable name: we cannot say who it is, so no allow.
        guard let user = report.user, !user.isEmpty else {
            return .error(.pluginError, detail: detail + "; PAM_USER is unset or not UTF-8 after the stack")
        }
        return .allow(Identity(principal: user, attributes: SystemAccount.attributes(of: user)), detail: detail)
    }

    /// For the log: the stage, PAM's code and text, and the modules' messages (never the password).
    static func describe(_ report: PamTransaction.Report) -> String {
        var detail = "\(report.stage.rawValue): \(name(of: report.status)) (\(report.statusText))"
        if !report.messages.isEmpty {
            detail += "; messages: " + report.messages.joined(separator: " | ")
        }
        if report.failDelayMicroseconds > 0 {
            detail += "; fail delay \(report.failDelayMicroseconds / 1000) ms"
        }
        return detail
    }

    /// The macro name of a PAM code, as operators grep for it.
    static func name(of status: Int32) -> String {
        switch status {
        case PAM_SUCCESS: "PAM_SUCCESS"
        case PAM_OPEN_ERR: "PAM_OPEN_ERR"
        case PAM_SYMBOL_ERR: "PAM_SYMBOL_ERR"
        case PAM_SERVICE_ERR: "PAM_SERVICE_ERR"
        case PAM_SYSTEM_ERR: "PAM_SYSTEM_ERR"
        case PAM_BUF_ERR: "PAM_BUF_ERR"
        case PAM_PERM_DENIED: "PAM_PERM_DENIED"
        case PAM_AUTH_ERR: "PAM_AUTH_ERR"
        case PAM_CRED_INSUFFICIENT: "PAM_CRED_INSUFFICIENT"
        case PAM_AUTHINFO_UNAVAIL: "PAM_AUTHINFO_UNAVAIL"
        case PAM_USER_UNKNOWN: "PAM_USER_UNKNOWN"
        case PAM_MAXTRIES: "PAM_MAXTRIES"
        case PAM_NEW_AUTHTOK_REQD: "PAM_NEW_AUTHTOK_REQD"
        case PAM_ACCT_EXPIRED: "PAM_ACCT_EXPIRED"
        case PAM_SESSION_ERR: "PAM_SESSION_ERR"
        case PAM_CRED_UNAVAIL: "PAM_CRED_UNAVAIL"
        case PAM_CRED_EXPIRED: "PAM_CRED_EXPIRED"
        case PAM_CRED_ERR: "PAM_CRED_ERR"
        case PAM_NO_MODULE_DATA: "PAM_NO_MODULE_DATA"
        case PAM_CONV_ERR: "PAM_CONV_ERR"
        case PAM_AUTHTOK_ERR: "PAM_AUTHTOK_ERR"
        case PAM_AUTHTOK_RECOVERY_ERR: "PAM_AUTHTOK_RECOVERY_ERR"
        case PAM_AUTHTOK_LOCK_BUSY: "PAM_AUTHTOK_LOCK_BUSY"
        case PAM_AUTHTOK_DISABLE_AGING: "PAM_AUTHTOK_DISABLE_AGING"
        case PAM_TRY_AGAIN: "PAM_TRY_AGAIN"
        case PAM_IGNORE: "PAM_IGNORE"
        case PAM_ABORT: "PAM_ABORT"
        case PAM_AUTHTOK_EXPIRED: "PAM_AUTHTOK_EXPIRED"
        case PAM_MODULE_UNKNOWN: "PAM_MODULE_UNKNOWN"
        case PAM_BAD_ITEM: "PAM_BAD_ITEM"
        case PAM_CONV_AGAIN: "PAM_CONV_AGAIN"
        case PAM_INCOMPLETE: "PAM_INCOMPLETE"
        default: "PAM code \(status)"
        }
    }
}
