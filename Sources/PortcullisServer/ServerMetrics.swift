import CoreMetrics
import Foundation
public import Portcullis
import PortcullisProtocol
import Prometheus
import Synchronization

/// The daemon's metrics, through swift-metrics into its own Prometheus registry (not the global
/// MetricsSystem, so tests and embedders can run several servers in one process).
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    /// Metric handles by label values: made once, so the hot path does no registry lookup.
    private let decisions = Mutex<[DecisionLabels: (count: CoreMetrics.Counter, duration: CoreMetrics.Timer)]>([:])
    private let plugins = Mutex<[String: PluginMetrics]>([:])

    struct DecisionLabels: Hashable {
        var stack: String
        var decision: String
        var reason: String
    }

    struct PluginMetrics {
        var duration: CoreMetrics.Timer
        var hits: CoreMetrics.Counter
        var misses: CoreMetrics.Counter
    }

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // From a cache hit (microseconds) to a slow PAM conversation (seconds).
        let buckets: [Duration] = [.microseconds(10), .microseconds(50), .microseconds(100), .microseconds(500), .milliseconds(1),
                                   .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                   .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5)]
        factory.defaultDurationHistogramBuckets = buckets
        self.factory = factory
        // Both reload counts exist from the start (at 0), so `increase()` sees the first failure.
        _ = reloads("success")
        _ = reloads("failure")
        // The daemon makes its metrics right after the first load succeeded (ForwardAuthServer.init).
        markConfigurationLoaded()
    }

    /// Makes this registry the process's swift-metrics backend, so that what plugins count through
    /// the host's `count` service (ABI 1.2) appears in the same `/metrics`. Once per process
    /// (swift-metrics' rule): `portcullis serve` calls it; tests and embedders with several servers need not.
    public func bootstrapProcessMetrics() {
        MetricsSystem.bootstrap(factory)
    }

    /// Records one decision: its count by stack/decision/reason, its duration, each plugin call's
    /// latency (calls answered from the cache are counted as hits instead), and cache misses.
    public func record(_ outcome: Outcome, gatekeeper: Gatekeeper, elapsed: Duration) {
        let labels = DecisionLabels(stack: outcome.stack, decision: outcome.decision.rawValue, reason: outcome.reason?.code ?? "none")
        let decision = decisions.withLock { cache in
            if let known = cache[labels] { return known }
            let made = (CoreMetrics.Counter(label: "portcullis_decisions_total",
                                dimensions: [("stack", labels.stack), ("decision", labels.decision), ("reason", labels.reason)], factory: factory),
                        CoreMetrics.Timer(label: "portcullis_decision_duration_seconds", dimensions: [("stack", labels.stack)], factory: factory))
            cache[labels] = made
            return made
        }
        decision.count.increment()
        decision.duration.recordNanoseconds(Self.nanoseconds(elapsed))

        let entries = gatekeeper.stack(named: outcome.stack)?.entries ?? []
        for step in outcome.trace {
            let metrics = plugin(step.plugin)
            if step.cached {
                metrics.hits.increment()
                continue
            }
            if gatekeeper.cache != nil, step.index < entries.count, entries[step.index].plugin.isCacheable {
                metrics.misses.increment()
            }
            metrics.duration.recordNanoseconds(Int64(step.micros * 1000))
        }
    }

    private func plugin(_ name: String) -> PluginMetrics {
        plugins.withLock { cache in
            if let known = cache[name] { return known }
            let made = PluginMetrics(
                duration: CoreMetrics.Timer(label: "portcullis_plugin_duration_seconds", dimensions: [("plugin", name)], factory: factory),
                hits: CoreMetrics.Counter(label: "portcullis_cache_hits_total", dimensions: [("plugin", name)], factory: factory),
                misses: CoreMetrics.Counter(label: "portcullis_cache_misses_total", dimensions: [("plugin", name)], factory: factory))
            cache[name] = made
            return made
        }
    }

    /// A check answered `backend_unavailable` at `[server] check_timeout` (its plugin call still running).
    public func countCheckTimeout(stack: String) {
        CoreMetrics.Counter(label: "portcullis_check_timeouts_total", dimensions: [("stack", stack)], factory: factory).increment()
    }

    /// A connection closed to keep `[server] max_connections`: `evicted` (it waited longest for a
    /// request head) or `refused` (new, while every open one was busy).
    public func countShedConnection(_ reason: String) {
        CoreMetrics.Counter(label: "portcullis_connections_shed_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// `portcullis_store_up`: 1 while the `[store]` backend answers, 0 while lockout counts locally.
    public func setStoreUp(_ up: Bool) {
        CoreMetrics.Gauge(label: "portcullis_store_up", factory: factory).record(up ? 1 : 0)
    }

    /// One configuration reload (SIGHUP, `portcullis reload` or `[server] watch`):
    /// `portcullis_config_reloads_total{result="success"|"failure"}`, and on success
    /// `portcullis_config_last_reload_success_timestamp_seconds` (named as Prometheus and
    /// Alertmanager name their own, so the usual "config reload failed" alerts carry over).
    public func countReload(succeeded: Bool) {
        reloads(succeeded ? "success" : "failure").increment()
        if succeeded { markConfigurationLoaded() }
    }

    /// `portcullis_config_last_reload_success_timestamp_seconds` = now: at start (the first
    /// load) and after each reload taken.
    func markConfigurationLoaded() {
        CoreMetrics.Gauge(label: "portcullis_config_last_reload_success_timestamp_seconds", factory: factory)
            .record(Date().timeIntervalSince1970)
    }

    private func reloads(_ result: String) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "portcullis_config_reloads_total", dimensions: [("result", result)], factory: factory)
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.nanoseconds
    }
}
