import CoreMetrics
public import Portcullis
import Prometheus

/// The daemon's metrics, through swift-metrics into its own Prometheus registry (not the global
/// MetricsSystem, so tests and embedders can run several servers in one process).
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // From a cache hit (microseconds) to a slow PAM conversation (seconds).
        let buckets: [Duration] = [.microseconds(10), .microseconds(50), .microseconds(100), .microseconds(500), .milliseconds(1),
                                   .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                   .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5)]
        factory.defaultDurationHistogramBuckets = buckets
        self.factory = factory
    }

    /// Records one decision: its count by stack/decision/reason, its duration, each plugin call's
    /// latency (calls answered from the cache are counted as hits instead), and cache misses.
    public func record(_ outcome: Outcome, gatekeeper: Gatekeeper, elapsed: Duration) {
        Counter(label: "portcullis_decisions_total",
                dimensions: [("stack", outcome.stack), ("decision", outcome.decision.rawValue), ("reason", outcome.reason?.code ?? "none")],
                factory: factory).increment()
        Timer(label: "portcullis_decision_duration_seconds", dimensions: [("stack", outcome.stack)], factory: factory)
            .recordNanoseconds(Self.nanoseconds(elapsed))
        let entries = gatekeeper.stack(named: outcome.stack)?.entries ?? []
        for step in outcome.trace {
            let cacheable = gatekeeper.cache != nil && step.index < entries.count && entries[step.index].plugin.isCacheable
            if step.cached {
                Counter(label: "portcullis_cache_hits_total", dimensions: [("plugin", step.plugin)], factory: factory).increment()
                continue
            }
            if cacheable {
                Counter(label: "portcullis_cache_misses_total", dimensions: [("plugin", step.plugin)], factory: factory).increment()
            }
            Timer(label: "portcullis_plugin_duration_seconds", dimensions: [("plugin", step.plugin)], factory: factory)
                .recordNanoseconds(Int64(step.micros * 1000))
        }
    }

    public func countReload(_ result: String) {
        Counter(label: "portcullis_reloads_total", dimensions: [("result", result)], factory: factory).increment()
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
