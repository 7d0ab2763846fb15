internal import CPortcullisPlugin
public import PortcullisProtocol

/// A plugin image loaded into the process: its descriptor, checked against this host's ABI.
/// Images are never unloaded (Swift images must not be `dlclose`d); reloads make new instances.
public struct PluginLibrary: Sendable, CustomStringConvertible {
    public let name: String
    public let version: String
    public let path: String
    public let abiMajor: UInt32
    public let abiMinor: UInt32
    /// `check` may block: the host calls it off the event loop.
    public let isBlocking: Bool
    /// Results depend only on the credential and the address, so the host may cache them.
    public let isCacheable: Bool
    public let consumes: Set<CredentialKind>
    /// ABI 1.1: the plugin wants to be told how each decision of its stacks ended.
    public let observes: Bool
    /// ABI 1.1: the plugin reports a data generation that keys its cached answers.
    let reportsGeneration: Bool
    /// ABI 1.1: the arguments the plugin says it accepts, in its order; nil when it does not say
    /// (every 1.0 plugin), empty when it accepts none.
    public let options: [Option]?

    nonisolated(unsafe) let descriptor: UnsafePointer<pc_plugin_descriptor>

    init(path: String, descriptor: UnsafePointer<pc_plugin_descriptor>) {
        let raw = descriptor.pointee
        self.path = path
        self.descriptor = descriptor
        self.name = raw.name.map { String(cString: $0) } ?? ""
        self.version = raw.version.map { String(cString: $0) } ?? "?"
        self.abiMajor = raw.abi_major
        self.abiMinor = raw.abi_minor
        self.isBlocking = raw.flags & PC_PLUGIN_BLOCKING != 0
        self.isCacheable = raw.flags & PC_PLUGIN_CACHEABLE != 0
        self.consumes = Set(CredentialKind.allCases.filter { raw.credential_kinds & (1 << $0.rawValue) != 0 })
        // A 1.0 descriptor ends before the 1.1 fields: never read past what the plugin declared.
        func has<Field>(_ field: KeyPath<pc_plugin_descriptor, Field>) -> Bool {
            Int(raw.descriptor_size) >= (MemoryLayout<pc_plugin_descriptor>.offset(of: field) ?? .max) + MemoryLayout<Field>.size
        }
        self.observes = has(\.observe) && raw.observe != nil
        self.reportsGeneration = has(\.generation) && raw.generation != nil
        if has(\.option_count), let table = raw.options {
            self.options = UnsafeBufferPointer(start: table, count: raw.option_count).map(Option.init)
        } else {
            self.options = nil
        }
    }

    /// The smallest descriptor the host accepts: ABI 1.0's (`PC_DESCRIPTOR_SIZE_1_0`).
    static let minimumDescriptorSize = MemoryLayout<pc_plugin_descriptor>.offset(of: \.observe) ?? MemoryLayout<pc_plugin_descriptor>.size

    public var description: String {
        var flags = [isBlocking ? "blocking" : "inline"]
        if isCacheable { flags.append("cacheable") }
        if observes { flags.append("observes") }
        if !consumes.isEmpty { flags.append("consumes " + consumes.map(\.name).sorted().joined(separator: "+")) }
        return "\(name) \(version) (ABI \(abiMajor).\(abiMinor), \(flags.joined(separator: ", "))) \(path)"
    }
}
