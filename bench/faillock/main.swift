// bench-faillock: what the faillock plugin adds to a request whose key is not locked, with the
// memory store, through the real host (the plugins loaded from this directory). Base: a stack of
// one debug entry that allows. Measured: faillock (requisite) in front of it.
//
// faillock_check_as_called_*: the plugin's check as the host calls it (the host's own timing of the
// call, in the trace): the keys written into a stack buffer, both read from the store's local
// table, the answer. Target: under 300 ns. answer_*: the whole answer path (Gatekeeper.
// evaluateWithoutBlocking, what the daemon does before it answers), so the difference also holds
// the host's cost of one more entry and of preparing the observation. evaluate_*: the same plus observe, which the
// daemon runs after answering (here synchronously): the CPU a request costs in all. Each twice: no
// lock anywhere (the table's empty fast path) and 10 000 other keys locked (a real lookup of each key).
//
// Output rows: figure <TAB> value <TAB> unit <TAB> comparison-figure <TAB> comparison-value <TAB> ratio

import Foundation
import Glibc
import Logging
import Portcullis
import PortcullisPostgresStore
import PortcullisProtocol

func nanoseconds(_ iterations: Int, _ body: () -> Void) -> Double {
    let start = ContinuousClock.now
    for _ in 0..<iterations { body() }
    return (ContinuousClock.now - start).seconds * 1e9 / Double(iterations)
}

/// The best of many short rounds of each, taken in turns: on a shared 2-core machine a round that
/// another process interrupts is discarded, and both sides see the same conditions.
func compare(iterations: Int = 20_000, rounds: Int = 25, _ base: () -> Void, _ measured: () -> Void) -> (base: Double, measured: Double) {
    var best = (base: Double.infinity, measured: Double.infinity)
    for _ in 0..<rounds {
        best.base = min(best.base, nanoseconds(iterations, base))
        best.measured = min(best.measured, nanoseconds(iterations, measured))
    }
    return best
}

func row(_ figure: String, _ value: Double, _ unit: String, _ comparison: String, _ comparisonValue: Double) {
    let ratio = comparisonValue > 0 ? value / comparisonValue : 0
    print([figure, format(value), unit, comparison, format(comparisonValue), format(ratio)].joined(separator: "\t"))
}

func format(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
}

let authorization = "Basic " + Base64.encode(Array("alice:wonderland".utf8), alphabet: .standard, padding: .required)
let request = AuthRequest(
    method: "GET", path: "/api/items?page=2", host: "api.example",
    headers: [("Host", "api.example"), ("User-Agent", "bench"), ("Accept", "*/*"), ("Authorization", authorization)],
    peer: IPAddress("198.51.100.7"))

let debug = "[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\nresult = \"allow\"\nprincipal = \"$user\"\n"
let faillock = "[[stack.default]]\nplugin = \"faillock\"\ncontrol = \"requisite\"\ndeny = 5\n"
func gatekeeper(_ toml: String) throws -> Gatekeeper {
    var quiet = Logger(label: "bench")
    quiet.logLevel = .critical
    return try Gatekeeper(configuration: Configuration(parsing: toml, file: "bench.toml"), logger: quiet)
}

let base = try gatekeeper(debug)
let guarded = try gatekeeper(faillock + debug)
precondition(base.evaluate(request).principal == "alice" && guarded.evaluate(request).principal == "alice")

func measure(_ label: String, _ guarded: Gatekeeper = guarded) {
    let (answerBase, answer) = compare({ _ = base.evaluateWithoutBlocking(request) }, { _ = guarded.evaluateWithoutBlocking(request) })
    row("answer_debug_ns", answerBase, "ns", "-", 0)
    row("answer_faillock_debug_\(label)_ns", answer, "ns", "answer_debug_ns", answerBase)
    row("faillock_check_added_\(label)_ns", answer - answerBase, "ns", "target_ns", 300)
    let (evaluateBase, evaluate) = compare({ _ = base.evaluate(request) }, { _ = guarded.evaluate(request) })
    row("evaluate_debug_ns", evaluateBase, "ns", "-", 0)
    row("evaluate_faillock_debug_\(label)_ns", evaluate, "ns", "evaluate_debug_ns", evaluateBase)
    row("faillock_check_and_observe_added_\(label)_ns", evaluate - evaluateBase, "ns", "answer_added", answer - answerBase)
    // faillock's check as the host calls it (its trace step: PluginInstance.check through the ABI,
    // the SDK, the keys, the store, the answer copied back), best average of the rounds.
    var checkBest = Double.infinity
    for _ in 0..<25 {
        var total = 0.0
        for _ in 0..<20_000 {
            guard case .decided(let outcome) = guarded.evaluateWithoutBlocking(request) else { fatalError("a non-blocking stack decides") }
            total += outcome.trace[0].micros * 1000
        }
        checkBest = min(checkBest, total / 20_000)
    }
    row("faillock_check_as_called_\(label)_ns", checkBest, "ns", "target_ns", 300)
    // The plugin's own work inside that: both keys written and looked up in the store, no ABI or host around it.
    let user = Array("alice".utf8)
    let client = IPAddress("198.51.100.7")
    let (_, lookups) = compare({}, {
        let address = LockoutKey.withAddressKey(client) { guarded.store.flagged(namespace: "faillock", utf8: $0) }
        let pair = user.withUnsafeBytes { user in
            LockoutKey.withUserKey(user, client: client) { guarded.store.flagged(namespace: "faillock", utf8: $0) }
        }
        precondition(address == 0 && pair == 0)
    })
    row("faillock_keys_and_lookups_\(label)_ns", lookups, "ns", "faillock_check_added_\(label)_ns", answer - answerBase)
}

measure("no_locks")

// 10 000 other keys locked: every check now hashes and looks up both keys.
for index in 0..<10_000 {
    _ = guarded.store.hit(StoreKey(namespace: "faillock", key: "a/10.0.\(index / 256).\(index % 256)"),
                          window: .seconds(900), limit: 1, flagFor: .seconds(600))
}
precondition(guarded.evaluate(request).principal == "alice")
measure("10000_locks")

// The PostgreSQL store (`[store] backend = "postgres"`), running (pool, LISTEN, sync): the check
// reads the same local mirror, the database only behind it, so the figures should match the memory
// store's. bench/run runs this suite under scripts/with-postgres, which starts a throwaway cluster
// and sets PORTCULLIS_POSTGRES_URL.
guard let url = ProcessInfo.processInfo.environment["PORTCULLIS_POSTGRES_URL"] else {
    FileHandle.standardError.write(Data("bench-faillock: PORTCULLIS_POSTGRES_URL is not set: run `bench/run faillock` (scripts/with-postgres) for the PostgreSQL rows\n".utf8))
    exit(2)
}
var quiet = Logger(label: "bench")
quiet.logLevel = .critical
var storeConfiguration = StoreConfiguration()
storeConfiguration.backend = .postgres
storeConfiguration.url = url
let postgresSettings = try PostgresStoreSettings(url: url)
let backend = PostgresStoreBackend(settings: postgresSettings, logger: quiet)
let store = SharedStore(configuration: storeConfiguration, backend: backend, logger: quiet)
let sync = Task { await store.run() }
for _ in 0..<100 where !backend.isUp { try await Task.sleep(for: .milliseconds(100)) }
precondition(backend.isUp, "bench-faillock: PostgreSQL at \(postgresSettings) did not answer")
let onPostgres = try Gatekeeper(configuration: Configuration(parsing: faillock + debug, file: "bench.toml"), logger: quiet, store: store)
precondition(onPostgres.evaluate(request).principal == "alice")
measure("postgres_no_locks", onPostgres)
sync.cancel()
await sync.value
