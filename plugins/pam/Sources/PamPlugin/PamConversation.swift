import CLibpam

#if canImport(Glibc)
import Glibc
#endif

/// The application side of one PAM transaction: answers prompts from the Basic credential,
/// keeps the modules' messages for the log detail, and records the fail delay they ask for.
///
/// Not shared between threads: PAM calls the conversation and the delay function synchronously,
/// on the thread running `pam_authenticate` / `pam_acct_mgmt`, with this object as `appdata_ptr`.
final class PamConversation {
    /// At most this many module messages are kept, each cut to `PAM_MAX_MSG_SIZE` bytes.
    static let messageLimit = 16

    /// NUL-terminated copies: PAM only takes C strings.
    private let user: [CChar]
    private var password: [CChar]
    private var passwordBytes: [UInt8]
    private(set) var messages: [String] = []
    /// What the modules asked for with `pam_fail_delay`, after libpam's randomization.
    private(set) var failDelayMicroseconds: UInt32 = 0

    /// `user` and `password` must not contain NUL (the caller checks): C strings would cut them short.
    init(user: [UInt8], password: [UInt8]) {
        self.user = user.map { CChar(bitPattern: $0) } + [0]
        self.password = password.map { CChar(bitPattern: $0) } + [0]
        self.passwordBytes = password
    }

    /// Overwrites our copies of the password once the transaction is over (PAM wipes its own).
    /// Best effort: Swift may have made other copies, which the host's memory handling bounds.
    func erase() {
        password.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        passwordBytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    func answer(_ style: Int32) -> UnsafeMutablePointer<CChar>? {
        switch style {
        case PAM_PROMPT_ECHO_OFF: strdup(password)
        case PAM_PROMPT_ECHO_ON: strdup(user)
        default: nil
        }
    }

    /// Keeps a `PAM_ERROR_MSG` / `PAM_TEXT_INFO` for the log: one line, printable, never the password.
    func record(_ style: Int32, _ text: UnsafePointer<CChar>) {
        guard messages.count < Self.messageLimit else { return }
        let bytes = UnsafeRawBufferPointer(start: text, count: min(strlen(text), Int(PAM_MAX_MSG_SIZE)))
        let redacted = !passwordBytes.isEmpty && bytes.firstRange(of: passwordBytes) != nil
        let scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }
        let line = redacted ? "[withheld: it contained the password]" : String(String.UnicodeScalarView(scalars))
        messages.append((style == PAM_ERROR_MSG ? "error: " : "info: ") + line)
    }

    func recordFailDelay(_ microseconds: UInt32) {
        failDelayMicroseconds = max(failDelayMicroseconds, microseconds)
    }
}

/// PAM's conversation callback. It captures nothing (a C function pointer cannot); the
/// ``PamConversation`` arrives through `appdata_ptr`. The reply array comes from `calloc` and each
/// answer from `strdup`, because PAM frees both with `free`.
let pamConversationFunction: @convention(c) (
    Int32, UnsafeMutablePointer<UnsafePointer<pam_message>?>?,
    UnsafeMutablePointer<UnsafeMutablePointer<pam_response>?>?, UnsafeMutableRawPointer?
) -> Int32 = { count, messages, responses, appdata in
    guard count > 0, count <= PAM_MAX_NUM_MSG, let messages, let responses, let appdata else { return PAM_CONV_ERR }
    let conversation = Unmanaged<PamConversation>.fromOpaque(appdata).takeUnretainedValue()
    guard let replies = calloc(Int(count), MemoryLayout<pam_response>.stride)?.assumingMemoryBound(to: pam_response.self)
    else { return PAM_BUF_ERR }

    func fail(_ status: Int32) -> Int32 {
        for index in 0..<Int(count) {
            if let answer = replies[index].resp {
                memset(answer, 0, strlen(answer))
                free(answer)
            }
        }
        free(replies)
        return status
    }

    for index in 0..<Int(count) {
        guard let message = messages[index] else { return fail(PAM_CONV_ERR) }
        let style = message.pointee.msg_style
        switch style {
        case PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_ON:
            guard let answer = conversation.answer(style) else { return fail(PAM_BUF_ERR) }
            replies[index].resp = answer
        case PAM_ERROR_MSG, PAM_TEXT_INFO:
            if let text = message.pointee.msg { conversation.record(style, text) }
        default:
            // PAM_BINARY_PROMPT and anything newer: a Basic credential cannot answer it.
            return fail(PAM_CONV_ERR)
        }
    }
    responses.pointee = replies
    return PAM_SUCCESS
}

/// Installed as `PAM_FAIL_DELAY`: libpam calls it instead of sleeping, so no pool thread waits
/// out pam_unix's ~2 s. We only record the delay; the host holds the response without a thread.
let pamFailDelayFunction: @convention(c) (Int32, UInt32, UnsafeMutableRawPointer?) -> Void = { status, microseconds, appdata in
    guard status != PAM_SUCCESS, let appdata else { return }
    Unmanaged<PamConversation>.fromOpaque(appdata).takeUnretainedValue().recordFailDelay(microseconds)
}
