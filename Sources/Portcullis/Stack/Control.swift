public import PortcullisProtocol

/// What the dispatcher does with one entry's result (Linux-PAM's `_PAM_ACTION_*`).
public enum Action: String, Sendable, CaseIterable {
    /// Count a success; keep going.
    case ok
    /// Count a success; if the stack's impression is positive, stop with it.
    case done
    /// Count a failure (the first one's reason is kept); keep going.
    case bad
    /// Count a failure; stop.
    case die
    /// The result does not count.
    case ignore
    /// Forget everything so far.
    case reset
}

/// A stack entry's control: an action per verdict, compiled at load time.
///
/// The four PAM keywords are shorthand for tables, exactly as in Linux-PAM's `pam_handlers.c`
/// (with allow = PAM_SUCCESS, ignore = PAM_IGNORE, deny and error = every other code):
///
/// | control    | allow | deny   | ignore | error  |
/// |------------|-------|--------|--------|--------|
/// | required   | ok    | bad    | ignore | bad    |
/// | requisite  | ok    | die    | ignore | die    |
/// | sufficient | done  | ignore | ignore | ignore |
/// | optional   | ok    | ignore | ignore | ignore |
///
/// The bracket form `[allow=done deny=die default=bad]` writes a table directly.
public struct Control: Sendable, Equatable, CustomStringConvertible {
    public var allow: Action
    public var deny: Action
    public var ignore: Action
    public var error: Action
    /// How the configuration spelled it.
    public let description: String

    public static let required = Control(allow: .ok, deny: .bad, ignore: .ignore, error: .bad, description: "required")
    public static let requisite = Control(allow: .ok, deny: .die, ignore: .ignore, error: .die, description: "requisite")
    public static let sufficient = Control(allow: .done, deny: .ignore, ignore: .ignore, error: .ignore, description: "sufficient")
    public static let optional = Control(allow: .ok, deny: .ignore, ignore: .ignore, error: .ignore, description: "optional")

    public init(allow: Action, deny: Action, ignore: Action, error: Action, description: String) {
        self.allow = allow
        self.deny = deny
        self.ignore = ignore
        self.error = error
        self.description = description
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses a keyword or a bracket table. Keywords compare ASCII case-insensitively, as
    /// Linux-PAM's `strcasecmp` in `pam_handlers.c` does (`Required` is `required`); so do the
    /// verdicts and actions inside brackets (Linux-PAM's `_pam_parse_control` is case-sensitive
    /// there, but `[Default=Bad]` can mean nothing else).
    public init(parsing text: String) throws(ParseError) {
        switch text {
        case _ where text.equalsIgnoringASCIICase("required"): self = .required
        case _ where text.equalsIgnoringASCIICase("requisite"): self = .requisite
        case _ where text.equalsIgnoringASCIICase("sufficient"): self = .sufficient
        case _ where text.equalsIgnoringASCIICase("optional"): self = .optional
        default:
            guard text.hasPrefix("["), text.hasSuffix("]") else {
                throw ParseError(description: "'\(text)' is not a control: expected required, requisite, sufficient, optional or a [verdict=action ...] table")
            }
            var actions: [String: Action] = [:]
            for item in text.dropFirst().dropLast().split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                let parts = item.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let key = ["allow", "deny", "ignore", "error", "default"].first(where: { $0.equalsIgnoringASCIICase(parts[0]) }) else {
                    throw ParseError(description: "'\(item)' in \(text): expected allow=, deny=, ignore=, error= or default=")
                }
                guard let action = Action.allCases.first(where: { $0.rawValue.equalsIgnoringASCIICase(parts[1]) }) else {
                    throw ParseError(description: "'\(parts[1])' in \(text): expected one of \(Action.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                actions[key] = action
            }
            // As in Linux-PAM, anything not named falls to `default`, which is `bad` unless given.
            let fallback = actions["default"] ?? .bad
            self.init(
                allow: actions["allow"] ?? fallback, deny: actions["deny"] ?? fallback,
                ignore: actions["ignore"] ?? fallback, error: actions["error"] ?? fallback, description: text)
        }
    }

    public func action(for verdict: Verdict) -> Action {
        switch verdict {
        case .allow: allow
        case .deny: deny
        case .ignore: ignore
        case .error: error
        }
    }
}
