// bench-host: the host's own cost per stack entry, next to the floor measured in the same run.
//
// Floor: the debug plugin's check() called directly through its C descriptor, on a request
// laid out once. Host: Gatekeeper.evaluate on stacks of 1, 4 and 8 debug entries, which adds
// everything the host does per request (Authorization parse, client-address resolution, the
// request arena, the dispatcher, the trace, the status). Target: well under 1 µs per entry.
//
// Output rows: figure <TAB> value <TAB> unit <TAB> comparison-figure <TAB> comparison-value <TAB> ratio

import CPortcullisPlugin
import Glibc
import Portcullis

/// BENCH_SCALE (default 1) divides every iteration count: a profiler run (callgrind) needs a
/// fixed, small number of requests, not a timed one.
let scale = max(1, Int(getenv("BENCH_SCALE").map { String(cString: $0) } ?? "1") ?? 1)

func nanoseconds(_ iterations: Int, rounds: Int = 7, _ body: () -> Void) -> Double {
    var best = Double.infinity
    let iterations = max(1, iterations / scale)
    for _ in 0..<(scale > 1 ? 1 : rounds) {
        let start = ContinuousClock.now
        for _ in 0..<iterations { body() }
        let elapsed = ContinuousClock.now - start
        let ns = elapsed.seconds * 1e9 / Double(iterations)
        best = min(best, ns)
    }
    return best
}

func row(_ figure: String, _ value: Double, _ unit: String, _ comparison: String, _ comparisonValue: Double) {
    let ratio = comparisonValue > 0 ? value / comparisonValue : 0
    print([figure, String(format: value), unit, comparison, String(format: comparisonValue), String(format: ratio)].joined(separator: "\t"))
}

extension String {
    init(format value: Double) {
        let hundredths = Int((value * 100).rounded())
        self = "\(hundredths / 100).\(String(repeating: "0", count: hundredths % 100 < 10 ? 1 : 0))\(hundredths % 100)"
    }
}

let directory = PluginLoader.executableDirectory()
let library = try PluginLoader.load(name: "debug", directory: directory)

// The floor: one direct check() per call, through the descriptor, as the host makes it.
guard let handle = dlopen(library.path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE),
      let symbol = dlsym(handle, "portcullis_plugin_v1"),
      let descriptor = unsafeBitCast(symbol, to: pc_plugin_entry.self)()
else { fatalError("cannot open the debug plugin") }
var instance: UnsafeMutableRawPointer? = nil
var error = [CChar](repeating: 0, count: 256)
let created = "result".withCString { key in "allow".withCString { value in
    var pair = pc_pair(name: pc_str(data: key, length: 6), value: pc_str(data: value, length: 5))
    return descriptor.pointee.create?(nil, &pair, 1, &instance, &error, error.count) ?? -1
} }
precondition(created == 0)
var request = pc_request()
request.struct_size = UInt32(MemoryLayout<pc_request>.size)
let floor = nanoseconds(1_000_000) {
    var result = pc_result()
    descriptor.pointee.check?(instance, &request, &result)
    descriptor.pointee.release?(instance, &result)
}

let authorization = "Basic " + Base64.encode(Array("alice:wonderland".utf8), alphabet: .standard, padding: .required)
let authRequest = AuthRequest(
    method: "GET", path: "/api/items?page=2", host: "api.example",
    headers: [("Host", "api.example"), ("User-Agent", "bench"), ("Accept", "*/*"), ("Authorization", authorization),
              ("X-Forwarded-For", "198.51.100.7")],
    peer: IPAddress("127.0.0.1"))

var perEntry: [Int: Double] = [:]
for entries in [1, 4, 8] {
    var toml = "[proxy]\ntrusted = [\"127.0.0.1\"]\n"
    for _ in 0..<entries { toml += "[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\nresult = \"allow\"\nprincipal = \"$user\"\n" }
    let gatekeeper = try Gatekeeper(configuration: Configuration(parsing: toml, file: "bench.toml"))
    precondition(gatekeeper.evaluate(authRequest).principal == "alice")
    let total = nanoseconds(100_000) { _ = gatekeeper.evaluate(authRequest) }
    perEntry[entries] = total
    row("evaluate_\(entries)_entries_ns", total, "ns", "direct_check_x\(entries)_ns", floor * Double(entries))
}
// The marginal host cost of one more entry, from the 1- and 8-entry stacks.
let marginal = ((perEntry[8] ?? 0) - (perEntry[1] ?? 0)) / 7
row("host_overhead_per_entry_ns", marginal - floor, "ns", "target_ns", 1000)
row("fixed_cost_per_request_ns", (perEntry[1] ?? 0) - marginal, "ns", "direct_check_ns", floor)
