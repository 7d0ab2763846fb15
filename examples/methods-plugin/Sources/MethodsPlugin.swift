public import PortcullisPluginKit

/// The example plugin of docs/plugin-abi.md: lets through only the HTTP methods it is given.
///
/// It is a gate, not a grant: an allowed method is `.ignore` (it proves nothing about the
/// caller, so it must not count as a success in the stack), any other method is a deny with
/// `insufficient_permissions` (403: credentials would not help).
public struct MethodsPlugin: PortcullisPlugin {
    public static let name = "methods"
    public static let version = "1.0.0"
    public static let options: [PluginOption] = [
        .list("allow", help: "the methods let through, e.g. [\"GET\", \"HEAD\"]")
    ]

    let allowed: Set<String>

    public init(options: PluginOptions, host: PluginHost) throws {
        allowed = Set(options.list("allow").map { $0.uppercased() })
        guard !allowed.isEmpty else { throw PluginConfigurationError("argument 'allow' needs at least one method") }
    }

    public func check(_ request: PluginRequest) -> PluginOutcome {
        let method = request.method
        return allowed.contains(method)
            ? .ignore(detail: "method \(method) allowed")
            : .deny(.insufficientPermissions, detail: "method \(method) not allowed")
    }
}
