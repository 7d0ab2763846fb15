/// A stack entry's arguments that the option table accepts but the plugin cannot use (a realm
/// with a newline, a relative path, a format it does not know). Thrown from
/// ``PortcullisPlugin/init(options:host:)``: the entry cannot be created, and the host shows
/// `description` to the operator. Name the argument and say what is expected, e.g.
/// `argument 'format' must be htpasswd, shadow or detect, not 'md5'`; never a secret.
public struct PluginConfigurationError: Error, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    public init(description: String) {
        self.description = description
    }
}
