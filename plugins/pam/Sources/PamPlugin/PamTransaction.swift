import CLibpam
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One PAM transaction on a fresh handle: `pam_start[_confdir]`, `pam_authenticate`, optionally
/// `pam_acct_mgmt`, `pam_end`. Handles are never shared: Linux-PAM handles are not thread-safe
/// (in-process PAM bridges that shared them crashed under load), and a fresh one costs little
/// next to the modules' own work.
enum PamTransaction {
    /// Where the transaction stopped.
    enum Stage: String, Sendable {
        case start = "pam_start"
        case authenticate = "pam_authenticate"
        case account = "pam_acct_mgmt"
    }

    /// The raw facts of one transaction; ``PamResultMapping`` turns them into an outcome.
    struct Report: Sendable {
        /// The last stage that ran: on success, the last one asked for.
        var stage: Stage
        /// `PAM_SUCCESS` or the failing call's code.
        var status: Int32
        /// `pam_strerror` for `status`.
        var statusText: String
        /// `PAM_USER` after the stack (modules may rename the user); set on success only.
        var user: String?
        var messages: [String]
        var failDelayMicroseconds: UInt32
        /// How long `pam_authenticate` took (zero when it did not run).
        var authenticateDuration: Duration = .zero
    }

    struct Request {
        var service: String
        var confdir: String?
        var user: [UInt8]
        var password: [UInt8]
        var remoteHost: String?
        var tty: String
        var checkAccount: Bool
    }

    /// Handles started and not yet ended, process-wide: tests assert it returns to zero.
    static let openHandles = Atomic<Int>(0)

    static func run(_ request: Request) -> Report {
        let conversation = PamConversation(user: request.user, password: request.password)
        defer { conversation.erase() }
        return withExtendedLifetime(conversation) {
            var conv = pam_conv(conv: pamConversationFunction, appdata_ptr: Unmanaged.passUnretained(conversation).toOpaque())
            var report = Report(stage: .start, status: PAM_SUCCESS, statusText: "", user: nil, messages: [], failDelayMicroseconds: 0)
            var handle: OpaquePointer?
            let user = request.user.map { CChar(bitPattern: $0) } + [0]
            report.status = user.withUnsafeBufferPointer { user in
                if let confdir = request.confdir {
                    pam_start_confdir(request.service, user.baseAddress, &conv, confdir, &handle)
                } else {
                    pam_start(request.service, user.baseAddress, &conv, &handle)
                }
            }
            guard let handle else {
                report.statusText = String(cString: pam_strerror(nil, report.status))
                return report
            }
            openHandles.add(1, ordering: .relaxed)
            defer {
                pam_end(handle, report.status)
                openHandles.subtract(1, ordering: .relaxed)
            }
            if report.status == PAM_SUCCESS {
                report.status = setItems(handle, request)
            }
            if report.status == PAM_SUCCESS {
                report.stage = .authenticate
                let clock = ContinuousClock()
                let began = clock.now
                report.status = pam_authenticate(handle, Int32(bitPattern: PAM_DISALLOW_NULL_AUTHTOK))
                report.authenticateDuration = clock.now - began
            }
            if report.status == PAM_SUCCESS && request.checkAccount {
                report.stage = .account
                report.status = pam_acct_mgmt(handle, Int32(bitPattern: PAM_DISALLOW_NULL_AUTHTOK))
            }
            if report.status == PAM_SUCCESS {
                var item: UnsafeRawPointer?
                if pam_get_item(handle, PAM_USER, &item) == PAM_SUCCESS, let item {
                    report.user = String(validatingCString: item.assumingMemoryBound(to: CChar.self))
                }
            }
            report.statusText = String(cString: pam_strerror(handle, report.status))
            report.messages = conversation.messages
            report.failDelayMicroseconds = conversation.failDelayMicroseconds
            return report
        }
    }

    /// `PAM_FAIL_DELAY` (no sleeping on our thread), `PAM_RHOST` and `PAM_TTY`.
    private static func setItems(_ handle: OpaquePointer, _ request: Request) -> Int32 {
        var status = pam_set_item(handle, PAM_FAIL_DELAY, unsafeBitCast(pamFailDelayFunction, to: UnsafeRawPointer.self))
        if status == PAM_SUCCESS, let remoteHost = request.remoteHost {
            status = pam_set_item(handle, PAM_RHOST, remoteHost)
        }
        if status == PAM_SUCCESS {
            status = pam_set_item(handle, PAM_TTY, request.tty)
        }
        return status
    }
}
