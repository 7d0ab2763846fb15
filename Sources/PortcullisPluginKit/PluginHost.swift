internal import CPortcullisPlugin
import PortcullisProtocol

/// The services the host offers an instance (today: its log). Thread-safe.
public struct PluginHost: @unchecked Sendable {
    // The host keeps the pc_host alive until the instance is destroyed.
    let raw: UnsafePointer<pc_host>?

    public enum LogLevel: Sendable {
        case debug, info, warning, error

        var abi: UInt32 {
            switch self {
            case .debug: PC_LOG_DEBUG
            case .info: PC_LOG_INFO
            case .warning: PC_LOG_WARNING
            case .error: PC_LOG_ERROR
            }
        }
    }

    /// A host that discards log lines, for unit tests of plugin logic.
    public static let none = PluginHost(raw: nil)

    /// Writes a line to the host's log. Never pass secrets.
    public func log(_ level: LogLevel, _ message: String) {
        guard let raw, let log = raw.pointee.log else { return }
        var message = message
        message.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                log(raw.pointee.context, level.abi, pc_str(data: $0.baseAddress, length: $0.count))
            }
        }
    }
}

// MARK: - count (ABI 1.2)

extension PluginHost {
    /// Adds `amount` to the counter `name` in the host's metrics (the daemon's `/metrics`).
    /// The host accepts only names `portcullis_<plugin name>_…_total`, and label values must come
    /// from configuration (a rule's name), never from a request (a path, a user): every distinct
    /// set of labels is a series kept for the life of the process. Does nothing on a host without
    /// the service (one older than 1.2 leaves the slot NULL).
    public func count(_ name: String, labels: [(name: String, value: String)] = [], by amount: UInt64 = 1) {
        guard let raw, let count = raw.pointee.count else { return }
        var name = name
        CArena.withPairs(labels) { pairs, pairCount in
            name.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) {
                    count(raw.pointee.context, pc_str(data: $0.baseAddress, length: $0.count), pairs, pairCount, amount)
                }
            }
        }
    }
}
