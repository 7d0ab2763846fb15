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
    /// The entry whose result set `status` (PAM's final return code); nil for PAM_MUST_FAIL_CODE.
    private(set) var statusEntry: Int?
    /// From the allows that counted, in order: the first non-empty principal wins, attributes add up.
    private(set) var principal: String?
    private(set) var attributes: [Attribute] = []
    /// Whether an allow that counted came from an entry marked `anonymous = true`.
    private(set) var anonymousAllowCounted = false
    /// Changes whenever `principal` or `attributes` do, so the stack re-lays the identity for
    /// the next entry only then.
    private(set) var identityRevision = 0
    /// Failures the control told us to ignore; used only to explain an undecided stack.
    private(set) var ignoredFailures: [ReasonCode] = []

    /// Applies entry `index`'s result under `action`; returns true when the stack must stop here.
    /// `anonymous`: the entry is marked `anonymous = true`, so its allow may stand without a principal.
    mutating func apply(_ result: StepResult, action: Action, entry index: Int, anonymous: Bool = false) -> Bool {
        switch action {
        case .reset:
            // PAM forgets the impression and the status; the failures kept to explain an
            // undecided stack stay.
            let (ignored, revision) = (ignoredFailures, identityRevision)
            self = Dispatch()
            (ignoredFailures, identityRevision) = (ignored, revision + 1)
            return false

        case .ok, .done:
            // An ignore never sets the impression, even under ok or done (pam_dispatch.c).
            if result != .ignore, impression == .undecided || (impression == .positive && status == .success) {
                impression = .positive
                status = result.failureReason.map(Status.failure) ?? .success
                statusEntry = index
                if case .allow(let name, let extra) = result {
                    if principal == nil, !name.isEmpty {
                        principal = name
                        identityRevision += 1
                    }
                    if !extra.isEmpty {
                        attributes += extra
                        identityRevision += 1
                    }
                    anonymousAllowCounted = anonymousAllowCounted || anonymous
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
                statusEntry = status == .mustFail ? nil : index
            }
            return action == .die

        case .ignore:
            if let reason = result.failureReason { ignoredFailures.append(reason) }
            return false
        }
    }

    /// Allow only with a positive impression and a success status (PAM's sanity check);
    /// otherwise the reason that decided the deny, or nil when nothing did. This is Linux-PAM's
    /// answer; ``Stack`` adds the HTTP rule that an allow needs a principal.
    var decision: (allowed: Bool, reason: ReasonCode?) {
        switch status {
        case .success where impression == .positive: (true, nil)
        case .failure(let reason): (false, reason)
        default: (false, nil)
        }
    }

    /// Whether the allows that counted say who the caller is, or an anonymous entry vouched for it.
    var identified: Bool { principal != nil || anonymousAllowCounted }
}
