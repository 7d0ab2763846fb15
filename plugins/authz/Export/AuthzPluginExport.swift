import AuthzPlugin
import PortcullisPluginKit

@_cdecl("portcullis_plugin_v1")
public func portcullisPluginV1() -> UnsafeRawPointer { PluginExport.descriptor(for: AuthzPlugin.self) }
