public import PortcullisPluginKit

/// The whole decision: compiled lists plus the default for addresses no entry covers.
///
/// A pure function of the client address, so tests and benchmarks call it directly;
/// the plugin's `check` only hands it `request.client`.
public struct IplistPolicy: Sendable {
    public let list: IPList
    /// The answer for addresses no entry covers.
    public let defaultAction: ListAction

    public init(list: IPList, defaultAction: ListAction) {
        self.list = list
        self.defaultAction = defaultAction
    }

    /// Decides for the client the host resolved (nil: it could not resolve one).
    ///
    /// Allowed clients get an empty principal: the list vouches for a network, not a person.
    /// Details are fixed strings (no allocation per request); the host logs the address itself.
    public func decide(_ client: IPAddress?) -> PluginOutcome {
        guard let client else {
            // Fail closed: without an address nothing here can vouch for the caller.
            return .deny(.ipNotAllowed, detail: "no client address (no peer, or a forwarded chain the host could not resolve)")
        }
        switch list.action(for: client) {
        case .allow: return .allow(Identity(principal: ""), detail: "client address on the allow list")
        case .deny: return .deny(.ipNotAllowed, detail: "client address on the deny list")
        case nil:
            switch defaultAction {
            case .allow: return .allow(Identity(principal: ""), detail: "client address on no list (default allow)")
            case .deny: return .deny(.ipNotAllowed, detail: "client address on no list (default deny)")
            }
        }
    }
}
