import MethodsPlugin
import PortcullisPluginKit

/// The library's one exported symbol: the ABI descriptor built from the Swift type.
@_cdecl("portcullis_plugin_v1")
public func portcullisPluginV1() -> UnsafeRawPointer {
    PluginExport.descriptor(for: MethodsPlugin.self)
}
