import CoreMetrics
import Logging
import PortcullisProtocol
import Synchronization

/// The host side of the `count` service (ABI 1.2) for one plugin's instances: counters in the
/// process's swift-metrics backend (the daemon bootstraps its Prometheus registry, so they appear
/// in `/metrics`; elsewhere swift-metrics' default discards them).
///
/// A plugin may only count under its own name: `portcullis_<plugin>_…_total` (the suffix keeps a
/// plugin's counter from ever taking the name of one of the host's histograms, which the
/// Prometheus registry would refuse by crashing). Label names are Prometheus identifiers. Each
/// distinct (name, labels) is made once and kept for the life of the process, across reloads;
/// past ``maximumSeries`` per plugin, new series are refused, so a plugin that puts request data
/// in labels cannot grow the host's memory without bound. Refusals are logged once per name.
final class PluginCounters: Sendable {
    static let maximumSeries = 10_000
    let plugin: String
    private let prefix: String

    init(plugin: String) {
        self.plugin = plugin
        prefix = "portcullis_\(plugin)_"
    }

    /// Counters by plugin, shared by every instance of a plugin in the process.
    private static let series = Mutex<[String: [SeriesKey: CoreMetrics.Counter]]>([:])
    /// Names already refused (logged once).
    private static let refused = Mutex<Set<String>>([])

    struct SeriesKey: Hashable {
        var name: String
        var labels: [String]
    }

    func count(name: String, labels: [(String, String)], amount: UInt64, logger: Logger) {
        let key = SeriesKey(name: name, labels: labels.flatMap { [$0.0, $0.1] })
        let known = Self.series.withLock { $0[plugin]?[key] }
        if let known {
            known.increment(by: Int64(clamping: amount))
            return
        }
        if let problem = problem(name: name, labels: labels) {
            refuse(name, problem, logger)
            return
        }
        let counter = Self.series.withLock { all -> CoreMetrics.Counter? in
            var mine = all[plugin] ?? [:]
            if let existing = mine[key] { return existing }
            guard mine.count < Self.maximumSeries else { return nil }
            let made = CoreMetrics.Counter(label: name, dimensions: labels)
            mine[key] = made
            all[plugin] = mine
            return made
        }
        guard let counter else {
            refuse(name, "more than \(Self.maximumSeries) series: label values must come from configuration, not requests", logger)
            return
        }
        counter.increment(by: Int64(clamping: amount))
    }

    private func problem(name: String, labels: [(String, String)]) -> String? {
        guard name.hasPrefix(prefix), name.hasSuffix("_total"), name.utf8.count > prefix.utf8.count + "_total".utf8.count - 1,
              name.utf8.allSatisfy({ Self.isNameByte($0) })
        else { return "counter names must be \(prefix)…_total, of a-z, 0-9 and _" }
        var seen: Set<String> = []
        for (label, value) in labels {
            guard let first = label.utf8.first, !(0x30...0x39).contains(first), label.utf8.allSatisfy({ Self.isNameByte($0) || (0x41...0x5A).contains($0) }),
                  !label.hasPrefix("__"), seen.insert(label).inserted
            else { return "label '\(LogText.escaped(label))' is not a distinct Prometheus label name" }
            guard value.utf8.count <= 256 else { return "label '\(label)' has a value longer than 256 bytes" }
        }
        return nil
    }

    private func refuse(_ name: String, _ problem: String, _ logger: Logger) {
        let first = Self.refused.withLock { $0.count < 1_000 && $0.insert("\(plugin) \(name)").inserted }
        if first { logger.error("plugin \(plugin): count '\(LogText.escaped(name))' refused: \(problem)") }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x5F
    }
}
