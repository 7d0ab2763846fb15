// Users of the host library get the shared vocabulary (IPAddress, ReasonCode, …) with it.
@_exported public import PortcullisNetwork
@_exported public import PortcullisProtocol
