// bench-iplist: load time, memory and lookup cost of the iplist tables for lists of 10,
// 10 000 and 1 000 000 random prefixes (half IPv4, half IPv6), in one run.
//
// lookup_ns: random clients over the whole address space, the worst case: with 10^6 prefixes
// the tables (~13 MB) outgrow the caches and each lookup waits on memory. lookup_4096_clients_ns:
// the same tables with recurring clients, as real traffic has. decide_ns: the plugin's whole
// decision (take the current lists under their lock, look up, answer).
//
// Output rows: figure <TAB> value <TAB> unit <TAB> comparison-figure <TAB> comparison-value <TAB> ratio
// Every comparison is measured in this run (except the stated target). The sizes take turns
// over several rounds and each keeps its best, as this 2-core machine is shared.

import Glibc
import IplistPlugin
import PortcullisPluginKit

/// SplitMix64: fast, seeded, so every run measures the same lists.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Prefix lengths shaped like real block lists: mostly /24 and hosts for IPv4, /32 to /64
/// and hosts for IPv6, inside 2000::/3.
func randomPrefix(_ generator: inout SplitMix) -> IPPrefix {
    if generator.next() & 1 == 0 {
        let lengths = [8, 12, 16, 16, 20, 22, 24, 24, 24, 24, 28, 32, 32, 32]
        let length = lengths[Int(generator.next() % UInt64(lengths.count))]
        return masked(.v4(UInt32(truncatingIfNeeded: generator.next())), length)
    }
    let lengths = [19, 29, 32, 32, 40, 48, 48, 48, 56, 64, 64, 128]
    let length = lengths[Int(generator.next() % UInt64(lengths.count))]
    let value = UInt128(0x2000) << 112 | (UInt128(generator.next()) << 64 | UInt128(generator.next())) >> 3
    return masked(.v6(value), length)
}

func masked(_ address: IPAddress, _ length: Int) -> IPPrefix {
    let prefix = IPPrefix(address: address, length: length)
    return IPPrefix(address: prefix.network, length: length)
}

/// Probes: half inside a listed prefix, half anywhere (mostly unlisted), both families.
func probes(for prefixes: [IPPrefix], count: Int, _ generator: inout SplitMix) -> [IPAddress] {
    (0..<count).map { index in
        let prefix = prefixes[Int(generator.next() % UInt64(prefixes.count))]
        let random = generator.next()
        switch prefix.network {
        case .v4(let network):
            if index & 1 == 1 { return .v4(UInt32(truncatingIfNeeded: random)) }
            let host = prefix.length == 32 ? 0 : UInt32(truncatingIfNeeded: random) & (UInt32.max >> prefix.length)
            return .v4(network | host)
        case .v6(let network):
            let low = UInt128(random) << 64 | UInt128(generator.next())
            if index & 1 == 1 { return .v6(UInt128(0x2000) << 112 | low >> 3) }
            return .v6(network | (prefix.length == 128 ? 0 : low & (UInt128.max >> prefix.length)))
        }
    }
}

/// Resident set size from /proc/self/statm (second field, in pages).
func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 128)
    guard fgets(&buffer, Int32(buffer.count), file) != nil else { return 0 }
    let fields = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * sysconf(Int32(_SC_PAGESIZE))
}

/// glibc's malloc_trim (not in the Glibc module): returns freed heap pages to the system
/// so the RSS delta shows what the tables keep, not what loading used on the way.
@_silgen_name("malloc_trim")
func mallocTrim(_ pad: Int) -> Int32

func writeList(_ prefixes: [IPPrefix], to path: String) {
    var text = "# bench-iplist: \(prefixes.count) random prefixes\n"
    text.reserveCapacity(prefixes.count * 24)
    for prefix in prefixes {
        text += prefix.description
        text += "\n"
    }
    guard let file = fopen(path, "w") else { fatalError("cannot write \(path)") }
    _ = text.withCString { fputs($0, file) }
    fclose(file)
}

/// Runs `body` over the probes until about `budget` seconds pass; returns ns per call.
func measure(_ probes: [IPAddress], budget: Double = 0.6, _ body: (IPAddress) -> Int) -> (ns: Double, checksum: Int) {
    let clock = ContinuousClock()
    var calls = 0
    var checksum = 0
    let start = clock.now
    var elapsed = 0.0
    repeat {
        for probe in probes { checksum &+= body(probe) }
        calls += probes.count
        elapsed = (clock.now - start).seconds
    } while elapsed < budget
    return (elapsed * 1e9 / Double(calls), checksum)
}

/// Two decimals below 100, whole numbers above.
func format(_ number: Double) -> String {
    if number >= 100 { return String(Int(number.rounded())) }
    let hundredths = Int((number * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

func row(_ figure: String, _ value: Double, _ unit: String, _ comparison: String = "-", _ comparisonValue: Double? = nil) {
    let ratio = comparisonValue.map { $0 == 0 ? "-" : format(value / $0) } ?? "-"
    print([figure, format(value), unit, comparison, comparisonValue.map(format) ?? "-", ratio].joined(separator: "\t"))
}

/// BENCH_IPLIST_SIZES (e.g. "1000000") and BENCH_IPLIST_ROUNDS narrow a run for profiling.
func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
let sizes = environment("BENCH_IPLIST_SIZES")?.split(separator: ",").compactMap { Int($0) } ?? [10, 10_000, 1_000_000]
let rounds = environment("BENCH_IPLIST_ROUNDS").flatMap { Int($0) } ?? 8
let directory = "/tmp/bench-iplist-\(getpid())"
mkdir(directory, 0o700)
defer { rmdir(directory) }

struct Case {
    let label: String
    let lists: ReloadingPolicy
    let probes: [IPAddress]
    /// 4096 distinct clients, each seen 64 times: a server's traffic repeats its clients.
    let recurring: [IPAddress]
    var lookup = Double.infinity
    var recurringLookup = Double.infinity
    var decide = Double.infinity
}

var generator = SplitMix(state: 2026)
var checksum = 0
var cases: [Case] = []
var linearScan: (ns: Double, label: String)?
print("figure\tvalue\tunit\tcomparison-figure\tcomparison-value\tratio")

// Load and memory, one size at a time.
for size in sizes {
    let label = size == 1_000_000 ? "1e6" : String(size)
    let prefixes = (0..<size).map { _ in randomPrefix(&generator) }
    // A quarter allowed, the rest denied, so nested prefixes disagree as in real lists.
    let path = "\(directory)/deny-\(size).txt"
    let allowPath = "\(directory)/allow-\(size).txt"
    let split = size / 4
    writeList(Array(prefixes[..<split]), to: allowPath)
    writeList(Array(prefixes[split...]), to: path)
    defer {
        unlink(path)
        unlink(allowPath)
    }
    let sources = ListSources(allowFiles: [allowPath], denyFiles: [path])

    // Load: read, parse and compile the files, as a reload does. Best of a few for small lists.
    let clock = ContinuousClock()
    _ = mallocTrim(0)
    let residentBefore = residentBytes()
    var start = clock.now
    let lists = try ReloadingPolicy(sources: sources)
    var best = (clock.now - start).seconds
    _ = mallocTrim(0)
    let residentAfter = residentBytes()
    for _ in 0..<(size >= 1_000_000 ? 1 : 5) {
        start = clock.now
        _ = try ReloadingPolicy(sources: sources)
        best = min(best, (clock.now - start).seconds)
    }
    let list = lists.policy.list

    if size == 1_000_000 {
        row("load_ms_\(label)", best * 1000, "ms", "target_load_ms_1e6", 2000)
    } else {
        row("load_ms_\(label)", best * 1000, "ms")
    }
    row("table_bytes_\(label)", Double(list.byteCount), "bytes", "file_bytes_\(label)", Double(fileSize(path) + fileSize(allowPath)))
    row("table_bytes_per_prefix_\(label)", Double(list.byteCount) / Double(size), "bytes")
    row("rss_delta_\(label)", Double(max(0, residentAfter - residentBefore)), "bytes", "table_bytes_\(label)", Double(list.byteCount))
    row("ranges_\(label)", Double(list.rangeCount), "ranges", "prefixes_\(label)", Double(size))

    let sample = probes(for: prefixes, count: 1 << 18, &generator)
    let clients = Array(sample.prefix(4096))
    let recurring = (0..<sample.count).map { _ in clients[Int(generator.next() % 4096)] }
    cases.append(Case(label: label, lists: lists, probes: sample, recurring: recurring))

    if size == 10_000 {
        // What a list without an index costs: every prefix tested in turn (nginx allow/deny).
        let few = Array(sample.prefix(1_000))
        let linear = measure(few, budget: 0.3) { address in
            var bestLength = -1
            for prefix in prefixes where prefix.length > bestLength && prefix.contains(address) { bestLength = prefix.length }
            return bestLength
        }
        checksum &+= linear.checksum
        linearScan = (linear.ns, label)
    }
}

// Lookups: the sizes take turns over several rounds and each keeps its best, so a burst of
// load from other processes on this shared machine does not land on one size only.
for _ in 0..<rounds {
    for index in cases.indices {
        let lists = cases[index].lists
        let list = lists.policy.list
        let lookup = measure(cases[index].probes, budget: 0.1) { Int(list.action(for: $0)?.rawValue ?? 0) }
        // The plugin's whole decision: pick up the current lists (a lock), look up, answer.
        let decide = measure(cases[index].probes, budget: 0.1) { address in
            if case .allow = lists.policy.decide(address) { return 1 }
            return 0
        }
        let recurring = measure(cases[index].recurring, budget: 0.1) { Int(list.action(for: $0)?.rawValue ?? 0) }
        checksum &+= lookup.checksum &+ decide.checksum &+ recurring.checksum
        cases[index].recurringLookup = min(cases[index].recurringLookup, recurring.ns)
        cases[index].lookup = min(cases[index].lookup, lookup.ns)
        cases[index].decide = min(cases[index].decide, decide.ns)
    }
}
for entry in cases where rounds > 0 {
    let base = cases[0]
    row("lookup_ns_\(entry.label)", entry.lookup, "ns", "lookup_ns_\(base.label)", base.lookup)
    row("lookups_per_s_\(entry.label)", 1e9 / entry.lookup, "1/s", "lookups_per_s_\(base.label)", 1e9 / base.lookup)
    row("decide_ns_\(entry.label)", entry.decide, "ns", "decide_ns_\(base.label)", base.decide)
    row("lookup_4096_clients_ns_\(entry.label)", entry.recurringLookup, "ns", "lookup_4096_clients_ns_\(base.label)", base.recurringLookup)
}
if rounds > 0, let linearScan, let table = cases.first(where: { $0.label == linearScan.label }) {
    row("linear_scan_ns_\(linearScan.label)", linearScan.ns, "ns", "lookup_ns_\(linearScan.label)", table.lookup)
}
print("# checksum \(checksum)")

func fileSize(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : 0
}
