internal import CPortcullisPlugin
import PortcullisProtocol
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds the ABI descriptor for a Swift plugin type: the bridge between the C host protocol
/// and ``PortcullisPlugin``. Each plugin library embeds its own copy of this module, so the
/// exported type below is per library.
public enum PluginExport {
    /// The descriptor to return from the library's `portcullis_plugin_v1` entry point.
    /// Built once; later calls return the same pointer.
    public static func descriptor<Plugin: PortcullisPlugin>(for type: Plugin.Type) -> UnsafeRawPointer {
        exported.withLock { exported in
            if let exported {
                precondition(exported.type == type, "one library exports one plugin type")
                return exported.descriptor
            }
            let descriptor = makeDescriptor(for: type)
            exported = ExportedPlugin(type: type, descriptor: descriptor)
            return descriptor
        }
    }

    private static func makeDescriptor(for type: any PortcullisPlugin.Type) -> UnsafeRawPointer {
        let descriptor = UnsafeMutablePointer<pc_plugin_descriptor>.allocate(capacity: 1)
        descriptor.initialize(to: pc_plugin_descriptor())
        descriptor.pointee.abi_major = PORTCULLIS_ABI_MAJOR
        descriptor.pointee.abi_minor = PORTCULLIS_ABI_MINOR
        descriptor.pointee.descriptor_size = UInt32(MemoryLayout<pc_plugin_descriptor>.size)
        descriptor.pointee.flags = type.flags.rawValue
        descriptor.pointee.credential_kinds = type.consumes.reduce(0) { $0 | 1 << $1.rawValue }
        // Never freed: the descriptor lives as long as the image, which is never unloaded.
        descriptor.pointee.name = UnsafePointer(strdup(type.name))
        descriptor.pointee.version = UnsafePointer(strdup(type.version))
        (descriptor.pointee.options, descriptor.pointee.option_count) = optionTable(type.options)
        descriptor.pointee.create = { host, arguments, count, instance, error, errorSize in
            createInstance(host: host, arguments: arguments, count: count, instance: instance, error: error, errorSize: errorSize)
        }
        descriptor.pointee.check = { instance, request, result in
            guard let instance, let request, let result else { return }
            let box = Unmanaged<InstanceBox>.fromOpaque(instance).takeUnretainedValue()
            ResultWriter.write(box.plugin.answer(PluginRequest(request)), into: result)
        }
        descriptor.pointee.generation = { instance in
            guard let instance else { return 0 }
            return Unmanaged<InstanceBox>.fromOpaque(instance).takeUnretainedValue().plugin.generation
        }
        if type is any ObservingPlugin.Type {
            descriptor.pointee.observe = { instance, request, decision in
                guard let instance, let request, let decision,
                      let plugin = Unmanaged<InstanceBox>.fromOpaque(instance).takeUnretainedValue().plugin as? any ObservingPlugin
                else { return }
                plugin.observe(PluginRequest(request), decision: PluginDecision(decision.pointee))
            }
        }
        descriptor.pointee.release = { _, result in
            guard let result else { return }
            ResultWriter.release(result)
        }
        descriptor.pointee.destroy = { instance in
            guard let instance else { return }
            Unmanaged<InstanceBox>.fromOpaque(instance).release()
        }
        return UnsafeRawPointer(descriptor)
    }

    /// The option table as the ABI describes it (`pc_option`), so the host can show it.
    /// Never freed, like the descriptor.
    private static func optionTable(_ options: [PluginOption]) -> (UnsafePointer<pc_option>, Int) {
        func text(_ string: String) -> pc_str {
            let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(string.utf8.count, 1))
            let (_, length) = copy.initialize(from: string.utf8)
            return pc_str(data: UnsafeRawPointer(copy.baseAddress).map { $0.assumingMemoryBound(to: CChar.self) }, length: length)
        }
        let table = UnsafeMutablePointer<pc_option>.allocate(capacity: max(options.count, 1))
        for (index, option) in options.enumerated() {
            var entry = pc_option()
            entry.name = text(option.name)
            entry.kind = text(option.kind.abiName)
            entry.help = text(option.help)
            entry.flags = option.isRequired ? PC_OPTION_REQUIRED : 0
            (table + index).initialize(to: entry)
        }
        return (UnsafePointer(table), options.count)
    }
}

extension PluginOption.Kind {
    /// How `pc_option.kind` spells it: `string`, `bool`, `integer MIN...MAX`, `list`.
    var abiName: String {
        switch self {
        case .string: "string"
        case .bool: "bool"
        case .integer(let range): "integer \(range.lowerBound)...\(range.upperBound)"
        case .list: "list"
        }
    }
}

extension PluginDecision {
    init(_ raw: pc_decision) {
        self.init(
            allowed: raw.verdict == PC_VERDICT_ALLOW, reason: raw.reason == PC_REASON_NONE ? nil : ReasonCode(abi: raw.reason) ?? .pluginError,
            status: Int(raw.status), decidedBy: raw.decided_by < 0 ? nil : Int(raw.decided_by), entry: Int(raw.entry),
            principal: raw.verdict == PC_VERDICT_ALLOW ? ByteView(raw.principal).text : nil)
    }
}

private struct ExportedPlugin: @unchecked Sendable {
    let type: any PortcullisPlugin.Type
    let descriptor: UnsafeRawPointer
}

private let exported = Mutex<ExportedPlugin?>(nil)

private final class InstanceBox {
    let plugin: any PortcullisPlugin
    init(_ plugin: any PortcullisPlugin) { self.plugin = plugin }
}

private func createInstance(
    host: UnsafePointer<pc_host>?, arguments: UnsafePointer<pc_pair>?, count: Int,
    instance: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, error: UnsafeMutablePointer<CChar>?, errorSize: Int
) -> Int32 {
    func fail(_ message: String) -> Int32 {
        if let error, errorSize > 0 {
            let bytes = message.utf8.prefix(errorSize - 1)
            for (index, byte) in bytes.enumerated() { error[index] = CChar(bitPattern: byte) }
            error[bytes.count] = 0
        }
        return 1
    }
    guard let instance else { return fail("no instance pointer") }
    guard let type = exported.withLock({ $0?.type }) else { return fail("plugin type not exported") }
    let pairs = UnsafeBufferPointer(start: arguments, count: arguments == nil ? 0 : count).map { pair in
        (name: ByteView(pair.name).text, value: ByteView(pair.value).text)
    }
    do {
        let options = try PluginOptions(pairs, table: type.options)
        let plugin = try type.init(options: options, host: PluginHost(raw: host))
        instance.pointee = Unmanaged.passRetained(InstanceBox(plugin)).toOpaque()
        return 0
    } catch {
        return fail(String(describing: error))
    }
}
