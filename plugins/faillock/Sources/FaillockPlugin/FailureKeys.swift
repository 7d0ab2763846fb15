import PortcullisPluginKit
import PortcullisProtocol

/// A request's keys in the store (``LockoutKey``): its client address (IPv6 by /64), and with a
/// Basic credential its user-id from that address. A Bearer token has no user-id: only the
/// address counts. Unknown user-ids are keyed exactly like known ones, so a lock says nothing
/// about which users exist.
struct FailureKeys {
    let addressText: String
    let address: String
    let user: String?
    /// The user-id, for the log line of a lock (the host escapes control characters).
    private let userText: String?
    private let basic: Bool

    init(_ request: PluginRequest) {
        addressText = LockoutKey.address(request.client)
        address = LockoutKey.forAddress(addressText)
        switch request.credential {
        case .basic(let user, _):
            self.user = LockoutKey.forUser(user.bytes, address: addressText)
            userText = user.text
            basic = true
        case .malformed(let scheme):
            (self.user, userText) = (nil, nil)
            basic = scheme.lowercased() == "basic"
        case .none, .bearer, .other:
            (self.user, userText) = (nil, nil)
            basic = false
        }
    }

    /// Whether a deny for `reason` counts: a wrong credential, or a Basic header that does not
    /// parse (guessing through malformed headers would otherwise be free).
    func counts(_ reason: ReasonCode) -> Bool {
        switch reason {
        case .invalidCredentials: true
        case .malformedCredentials: basic
        default: false
        }
    }

    var description: String {
        if let userText { return "user=\(userText) address=\(addressText)" }
        return "address=\(addressText)"
    }
}
