internal import CPortcullisPlugin
import PortcullisProtocol

/// The services the host offers an instance (today: its log). Thread-safe.
public struct PluginHost: @unchecked Sendable {
    // The host keeps the pc_host alive until the instance is destroyed.
    let raw: UnsafePointer<pc_host>?

    public enum LogLevel: Sendable {
        case debug, info, warning, error
        /// ABI 1.2: a normal but significant event an operator must be able to find (a lock).
        case notice

        var abi: UInt32 {
            switch self {
            case .debug: PC_LOG_DEBUG
            case .info: PC_LOG_INFO
            case .notice: PC_LOG_NOTICE
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

// MARK: - ABI 1.2: the shared store

extension PluginHost {
    /// Whether the host offers the shared store (`[store]`: counters that raise flags, shared by
    /// every daemon on one backend). A plugin that needs it fails to create without it.
    public var offersStore: Bool {
        guard let raw else { return false }
        return raw.pointee.store_hit != nil && raw.pointee.store_flagged != nil && raw.pointee.store_clear != nil
    }

    /// Counts one event for `key` (expiring `window` after the last one) and returns the count as
    /// this process knows it; at `limit` (0 = never) the host flags `key` for `flagFor` on every
    /// daemon sharing the store. Never blocks. 0 without a store.
    public func storeHit(_ key: String, window: Duration, limit: Int, flagFor: Duration) -> Int {
        Self.withKey(key) { storeHit(utf8: $0, window: window, limit: limit, flagFor: flagFor) }
    }

    /// The time left on `key`'s flag; `.zero` when it is not flagged (or there is no store).
    /// Reads the host's memory only.
    public func storeFlagged(_ key: String) -> Duration {
        Self.withKey(key) { storeFlagged(utf8: $0) }
    }

    /// Forgets `key`'s count (not its flag).
    public func storeClear(_ key: String) {
        Self.withKey(key) { storeClear(utf8: $0) }
    }

    /// ``storeHit(_:window:limit:flagFor:)`` with the key as UTF-8 bytes (no String on a hot path).
    public func storeHit(utf8 key: UnsafeRawBufferPointer, window: Duration, limit: Int, flagFor: Duration) -> Int {
        guard let raw, let hit = raw.pointee.store_hit else { return 0 }
        return Int(clamping: hit(raw.pointee.context, Self.view(key), UInt64(max(0, window.milliseconds)), UInt64(max(0, limit)),
                                 UInt64(max(0, flagFor.milliseconds))))
    }

    /// ``storeFlagged(_:)`` with the key as UTF-8 bytes.
    public func storeFlagged(utf8 key: UnsafeRawBufferPointer) -> Duration {
        guard let raw, let flagged = raw.pointee.store_flagged else { return .zero }
        return .milliseconds(Int64(clamping: flagged(raw.pointee.context, Self.view(key))))
    }

    /// ``storeClear(_:)`` with the key as UTF-8 bytes.
    public func storeClear(utf8 key: UnsafeRawBufferPointer) {
        guard let raw, let clear = raw.pointee.store_clear else { return }
        clear(raw.pointee.context, Self.view(key))
    }

    /// How long the host's copy of the store's flags may have missed changes made elsewhere:
    /// `.zero` while it is in sync with the backend. nil when the host does not say (no store, or
    /// a host older than the service): a plugin that must not miss a flag refuses to start then.
    public var storeStaleness: Duration? {
        guard let raw, let staleness = raw.pointee.store_staleness_ms else { return nil }
        return .milliseconds(Int64(clamping: staleness(raw.pointee.context)))
    }

    private static func view(_ bytes: UnsafeRawBufferPointer) -> pc_str {
        pc_str(data: bytes.baseAddress?.assumingMemoryBound(to: CChar.self), length: bytes.count)
    }

    private static func withKey<T>(_ key: String, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        var key = key
        return key.withUTF8 { body(UnsafeRawBufferPointer($0)) }
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
