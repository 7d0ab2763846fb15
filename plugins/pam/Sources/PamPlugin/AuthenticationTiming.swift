import CLibpam
import PortcullisPluginKit
import Synchronization

/// Hides how fast PAM said no. pam_unix answers an unknown user (or a locked one) at once but a
/// wrong password only after hashing it (tens of milliseconds of yescrypt), which tells a patient
/// client which accounts exist. So every `invalid_credentials` from `pam_authenticate` (including
/// `PAM_AUTHINFO_UNAVAIL`, which forks unix_chkpwd for existing accounts only) is padded
/// to the typical duration of a successful `pam_authenticate` (a running average); the padding is
/// added to the fail delay, which the host waits out without a thread.
/// Until the first success there is nothing to pad to.
final class AuthenticationTiming: Sendable {
    /// Running average of successful `pam_authenticate` durations, in nanoseconds; 0 = none yet.
    private let typicalNanoseconds = Atomic<Int64>(0)

    func padding(for report: PamTransaction.Report) -> Duration {
        let nanoseconds = report.authenticateDuration.nanoseconds
        switch (report.stage, report.status) {
        case (.authenticate, PAM_AUTH_ERR), (.authenticate, PAM_USER_UNKNOWN), (.authenticate, PAM_AUTHINFO_UNAVAIL):
            let typical = typicalNanoseconds.load(ordering: .relaxed)
            return .nanoseconds(max(0, typical - nanoseconds))
        case (_, PAM_SUCCESS), (.account, _):
            // pam_authenticate succeeded: a real password check. A lost update between racing
            // threads only drops one sample.
            let typical = typicalNanoseconds.load(ordering: .relaxed)
            typicalNanoseconds.store(typical == 0 ? nanoseconds : typical + (nanoseconds - typical) / 8, ordering: .relaxed)
            return .zero
        default:
            return .zero
        }
    }
}
