// A plugin imports only PortcullisPluginKit: the shared vocabulary comes with it.
@_exported public import PortcullisNetwork
@_exported public import PortcullisProtocol
