import PortcullisProtocol

/// The dispatcher's state machine, after Linux-PAM's `_pam_dispatch_aux` (libpam/pam_dispatch.c):
/// an impression (undecided, positive, negative) and a status (the result that set it).
/// Pure: the stack feeds it results one by one and stops when it says so.
struct Dispatch: Sendable {
    enum Impression: Sendable { case undecided, positive, negative }

    enum Status: Sendable, Equatable {
        /// PAM_MUST_FAIL_CODE: nothing decided yet, or a failure without a reason.
        case mustFail
        case success
        case failure(ReasonCode)
    }

    private(set) var impression = Impression.undecided
    private(set) var status = Status.mustFail
    /// From the allows that counted, in order: the first non-empty principal wins, attributes add up.
    private(set) var principal: String?
    private(set) var attributes: [Attribute] = []
    /// Failures the control told us to ignore; used only to explain an undecided stack.
    private(set) var ignoredFailures: [ReasonCode] = []

    /// Applies one result under `action`; returns true when the stack must stop here.
    mutating func apply(_ result: StepResult, action: Action) -> Bool {
        switch action {
        case .reset:
            impression = .undecided
            status = .mustFail
            principal = nil
            attributes = []
            return false

        case .ok, .done:
            if impression == .undecided || (impression == .positive && status == .success) {
                impression = .positive
                status = result.failureReason.map(Status.failure) ?? (result == .ignore ? .mustFail : .success)
                if case .allow(let name, let extra) = result {
                    if principal == nil, !name.isEmpty { principal = name }
                    attributes += extra
                }
            }
            return impression == .positive && action == .done

        case .bad, .die:
            if impression != .negative {
                impression = .negative
                switch result {
                case .ignore: status = .mustFail
                case .allow: status = .success  // caught by the sanity check in `decision`
                default: status = result.failureReason.map(Status.failure) ?? .mustFail
                }
            }
            return action == .die

        case .ignore:
            if let reason = result.failureReason { ignoredFailures.append(reason) }
            return false
        }
    }

    /// Allow only with a positive impression and a success status (PAM's sanity check);
    /// otherwise the reason that decided the deny, or nil when nothing did.
    var decision: (allowed: Bool, reason: ReasonCode?) {
        switch status {
        case .success where impression == .positive: (true, nil)
        case .failure(let reason): (false, reason)
        default: (false, nil)
        }
    }
}
