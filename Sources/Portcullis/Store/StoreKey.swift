/// A key of the shared store: the plugin that owns it (its namespace) and the plugin's own key.
/// The namespace keeps one plugin from reading or resetting another's state.
package struct StoreKey: Hashable, Sendable, Comparable {
    package var namespace: String
    package var key: String

    package init(namespace: String, key: String) {
        self.namespace = namespace
        self.key = key
    }

    /// The key as the backend stores it: `faillock/u/203.0.113.5/alice`. Plugin names hold no `/`.
    package var backendKey: String { namespace + "/" + key }

    package init?(backendKey: String) {
        guard let slash = backendKey.firstIndex(of: "/") else { return nil }
        self.init(namespace: String(backendKey[..<slash]), key: String(backendKey[backendKey.index(after: slash)...]))
    }

    package static func < (left: StoreKey, right: StoreKey) -> Bool {
        (left.namespace, left.key) < (right.namespace, right.key)
    }
}
