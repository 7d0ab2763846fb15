internal import CPortcullisPlugin
import PortcullisProtocol

/// A plugin instance's view of the shared store: the process's store and the plugin's namespace.
struct StoreAccess: Sendable {
    let store: SharedStore
    let namespace: String

    func key(_ key: pc_str) -> StoreKey {
        StoreKey(namespace: namespace, key: CArena.string(key))
    }

    /// The key's bytes, valid during the call.
    static func bytes(_ key: pc_str) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: key.data, count: key.data == nil ? 0 : key.length)
    }
}

/// What `pc_host.context` points at for one instance: its log, its counters and its part of the shared store.
final class HostServices: Sendable {
    let sink: LogSink
    let store: StoreAccess?
    /// The `count` service: counters under the plugin's name in the process's metrics.
    let counters: PluginCounters?

    init(sink: LogSink, store: StoreAccess?, counters: PluginCounters? = nil) {
        self.sink = sink
        self.store = store
        self.counters = counters
    }

    /// Fills the ABI 1.2 `count` service of `host`.
    static func installCount(into host: UnsafeMutablePointer<pc_host>) {
        host.pointee.count = { context, name, labels, labelCount, amount in
            guard let services = HostServices.from(context), let counters = services.counters else { return }
            let pairs = UnsafeBufferPointer(start: labels, count: labels == nil ? 0 : labelCount).map { (CArena.string($0.name), CArena.string($0.value)) }
            counters.count(name: CArena.string(name), labels: pairs, amount: amount, logger: services.sink.logger)
        }
    }

    static func from(_ context: UnsafeMutableRawPointer?) -> HostServices? {
        context.map { Unmanaged<HostServices>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Fills the ABI 1.2 store services of `host` (none without a store: a plugin tests for NULL).
    static func installStore(into host: UnsafeMutablePointer<pc_host>) {
        host.pointee.store_hit = { context, key, windowMs, limit, flagMs in
            guard let access = HostServices.from(context)?.store else { return 0 }
            let count = access.store.hit(
                access.key(key), window: .milliseconds(Int64(clamping: windowMs)), limit: Int64(clamping: limit),
                flagFor: .milliseconds(Int64(clamping: flagMs)))
            return UInt64(clamping: count)
        }
        host.pointee.store_flagged = { context, key in
            guard let access = HostServices.from(context)?.store else { return 0 }
            return UInt64(clamping: access.store.flagged(namespace: access.namespace, utf8: StoreAccess.bytes(key)))
        }
        host.pointee.store_clear = { context, key in
            guard let access = HostServices.from(context)?.store else { return }
            access.store.clear(namespace: access.namespace, utf8: StoreAccess.bytes(key))
        }
        host.pointee.store_staleness_ms = { context in
            // No store to ask: as stale as can be, so a plugin relying on it refuses.
            guard let access = HostServices.from(context)?.store else { return UInt64.max }
            return access.store.stalenessMilliseconds
        }
    }
}
