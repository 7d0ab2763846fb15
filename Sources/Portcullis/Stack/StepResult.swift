import PortcullisProtocol

/// One entry's answer, checked: anything outside the ABI's closed lists becomes an error.
enum StepResult: Sendable, Equatable {
    case allow(principal: String, attributes: [Attribute])
    case deny(ReasonCode)
    case ignore
    case error(ReasonCode)
    /// An out-of-range verdict: a failure whatever the control says (as Linux-PAM does).
    case invalid(rawVerdict: UInt32)

    /// Borrowing: an initializer takes its arguments owned, so each entry's answer was copied in
    /// (a retain of each of its strings) only to be released here.
    init(_ answer: borrowing PluginAnswer) {
        guard let verdict = Verdict(abi: answer.rawVerdict) else {
            self = .invalid(rawVerdict: answer.rawVerdict)
            return
        }
        let reason = ReasonCode(abi: answer.rawReason)
        // A reason outside the closed list is an error whatever the verdict (the ABI's rule).
        guard answer.rawReason == 0 || reason != nil else {
            self = .invalid(rawVerdict: answer.rawVerdict)
            return
        }
        switch verdict {
        case .allow:
            self = .allow(principal: answer.principal, attributes: answer.attributes)
        case .deny:
            // A deny without a known reason is a plugin bug: still a deny.
            self = .deny(reason ?? .pluginError)
        case .ignore:
            self = .ignore
        case .error:
            self = .error(reason == .backendUnavailable ? .backendUnavailable : .pluginError)
        }
    }

    /// The verdict that selects the control's action; nil for an invalid answer.
    var verdict: Verdict? {
        switch self {
        case .allow: .allow
        case .deny: .deny
        case .ignore: .ignore
        case .error: .error
        case .invalid: nil
        }
    }

    /// The reason this result would give if it decided a deny.
    var failureReason: ReasonCode? {
        switch self {
        case .deny(let reason), .error(let reason): reason
        case .invalid: .pluginError
        case .allow, .ignore: nil
        }
    }
}
