public import PortcullisProtocol

/// A credential-check plugin written in Swift.
///
/// Conform a type, then export it from a thin dynamic-library target with one function:
///
/// ```swift
/// import PortcullisPluginKit
///
/// @_cdecl("portcullis_plugin_v1")
/// public func portcullisPluginV1() -> UnsafeRawPointer {
///     PluginExport.descriptor(for: MyPlugin.self)
/// }
/// ```
///
/// Implementation requirements:
/// - `check(_:)` runs concurrently on many threads for one instance: keep state immutable or
///   synchronized. It must not block unless `flags` contains `.blocking`.
/// - `check(_:)` answers with an explicit ``PluginOutcome``: `.ignore` when the request carries
///   nothing this plugin judges (so the stack can try others), never a silent allow.
/// - Details are for operators' logs: never put a password, token or key in them.
public protocol PortcullisPlugin: Sendable {
    /// The short name used in configuration (`plugin = "crypt"`); must match the library's file name.
    static var name: String { get }
    /// The plugin's own version, shown by `portcullis plugins`.
    static var version: String { get }
    static var flags: PluginFlags { get }
    /// Which credential kinds the plugin reads; the host uses it to diagnose unused credentials.
    static var consumes: Set<CredentialKind> { get }
    /// Every argument the plugin accepts. Anything else in its stack entry is an error.
    static var options: [PluginOption] { get }

    /// Makes an instance from one stack entry's arguments, already checked against `options`.
    init(options: PluginOptions, host: PluginHost) throws

    /// Decides one request. The request's byte views are valid only during this call.
    func check(_ request: PluginRequest) -> PluginOutcome
}

extension PortcullisPlugin {
    public static var flags: PluginFlags { [] }
    public static var consumes: Set<CredentialKind> { [] }
}

/// Capability flags a plugin declares in its descriptor.
public struct PluginFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `check` may block (disk, PAM, slow hashes): the host calls it on a bounded pool.
    public static let blocking = PluginFlags(rawValue: 1 << 0)
    /// Results depend only on the credential and the client address, so the host may cache them.
    public static let cacheable = PluginFlags(rawValue: 1 << 1)
}
