internal import CPortcullisPlugin

/// The services the host offers an instance (today: its log). Thread-safe.
public struct PluginHost: @unchecked Sendable {
    // The host keeps the pc_host alive until the instance is destroyed.
    let raw: UnsafePointer<pc_host>?

    public enum LogLevel: UInt32, Sendable {
        case debug = 0, info, warning, error
    }

    /// A host that discards log lines, for unit tests of plugin logic.
    public static let none = PluginHost(raw: nil)

    /// Writes a line to the host's log. Never pass secrets.
    public func log(_ level: LogLevel, _ message: String) {
        guard let raw, let log = raw.pointee.log else { return }
        var message = message
        message.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                log(raw.pointee.context, level.rawValue, pc_str(data: $0.baseAddress, length: $0.count))
            }
        }
    }
}
