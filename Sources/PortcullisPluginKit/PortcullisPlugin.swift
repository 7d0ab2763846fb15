internal import CPortcullisPlugin
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
/// - `check(_:)` answers with an explicit ``PluginOutcome``, never a silent allow.
/// - A plugin that reads a credential declares its kinds in `consumes`; the SDK then denies a
///   request that does not carry one (``missingCredential(_:)``) before `check` runs, offering
///   ``challenge``. `.ignore` is for a plugin that deliberately abstains.
/// - An allow from a credential plugin names the principal: the host lets a request in only
///   when some allow that counted did (or an entry is marked `anonymous = true`).
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

    /// The `WWW-Authenticate` challenge offered when the request lacks this plugin's credential
    /// (default: none).
    var challenge: String? { get }

    /// A number that changes whenever the data this instance decides with changes (a reloaded
    /// file, rotated keys): the host keys its cached answers with it, so they stop being used at
    /// once (ABI 1.1). Called on every cache lookup: keep it to an atomic load. Default 0.
    var generation: UInt64 { get }
}

extension PortcullisPlugin {
    public static var flags: PluginFlags { [] }
    public static var consumes: Set<CredentialKind> { [] }
    public var generation: UInt64 { 0 }
}

/// A plugin that wants to know how each decision of its stacks ended (ABI 1.1 `observe`): a
/// lockout counter, an audit trail. The host calls ``observe(_:decision:)`` once per decision for
/// every instance in the stack, after the decision and off the request's path; it never changes
/// the answer. Blocking plugins are called on the pool; others must not block.
public protocol ObservingPlugin: PortcullisPlugin {
    /// `request` carries the identity the whole stack established (none on a deny).
    func observe(_ request: PluginRequest, decision: PluginDecision)
}

/// How a stack's decision ended, as ``ObservingPlugin/observe(_:decision:)`` sees it.
public struct PluginDecision: Sendable, Equatable {
    public var allowed: Bool
    /// Why a deny happened; nil on allow.
    public var reason: ReasonCode?
    /// The HTTP status of the answer.
    public var status: Int
    /// The entry whose result became the stack's status; nil when the host decided.
    public var decidedBy: Int?
    /// The observing instance's own entry in the stack.
    public var entry: Int
    public var principal: String?

    public init(allowed: Bool, reason: ReasonCode?, status: Int, decidedBy: Int?, entry: Int, principal: String?) {
        self.allowed = allowed
        self.reason = reason
        self.status = status
        self.decidedBy = decidedBy
        self.entry = entry
        self.principal = principal
    }
}

/// Capability flags a plugin declares in its descriptor.
public struct PluginFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `check` may block (disk, PAM, slow hashes): the host calls it on a bounded pool.
    public static let blocking = PluginFlags(rawValue: PC_PLUGIN_BLOCKING)
    /// Results depend only on the credential and the client address, so the host may cache them.
    public static let cacheable = PluginFlags(rawValue: PC_PLUGIN_CACHEABLE)
}
