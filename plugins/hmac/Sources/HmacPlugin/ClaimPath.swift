/// Where a token keeps a list the host should see as an identity attribute (`groups_claim`,
/// `roles_claim`): a claim name, or a dotted path into nested objects (`realm_access.roles`,
/// Keycloak's). A claim whose own name contains the dots (`https://example.com/roles`, as Auth0
/// namespaces them) is taken first; only when there is none is the name read as a path.
public struct ClaimPath: Sendable, Equatable {
    public let text: String
    private let steps: [String]

    public init?(_ text: String) {
        let steps = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !text.isEmpty, !steps.contains(where: \.isEmpty) else { return nil }
        self.text = text
        self.steps = steps
    }

    /// The value at this path in `claims`, or nil.
    public func value(in claims: JSONObject) -> JSONValue? {
        if let whole = claims[text] { return whole }
        guard steps.count > 1 else { return nil }
        var current: JSONValue = .object(claims)
        for step in steps {
            guard let object = current.objectValue, let next = object[step] else { return nil }
            current = next
        }
        return current
    }
}
