// bench-faillock: what the faillock plugin adds to a request whose key is not locked, with the
// memory store, through the real host (Gatekeeper.evaluate, the plugins loaded from this
// directory). Base: a stack of one debug entry that allows. Measured: faillock (requisite) in
// front of it — the check builds the address key and the Basic user's key and reads both from
// the store's local table. Twice: with no lock anywhere (the table's empty fast path) and with
// 10 000 other keys locked (a real lookup of each key). Target: under 300 ns added.
//
// Output rows: figure <TAB> value <TAB> unit <TAB> comparison-figure <TAB> comparison-value <TAB> ratio

import Foundation
import Glibc
import Logging
import Portcullis
import PortcullisPostgresStore
import PortcullisProtocol

func nanoseconds(_ iterations: Int, rounds: Int = 9, _ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        for _ in 0..<iterations { body() }
        best = min(best, (ContinuousClock.now - start).seconds * 1e9 / Double(iterations))
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

let baseline = nanoseconds(200_000) { _ = base.evaluate(request) }
let empty = nanoseconds(200_000) { _ = guarded.evaluate(request) }
row("evaluate_debug_ns", baseline, "ns", "-", 0)
row("evaluate_faillock_debug_ns", empty, "ns", "evaluate_debug_ns", baseline)
row("faillock_added_no_locks_ns", empty - baseline, "ns", "target_ns", 300)

// 10 000 other keys locked: every check now hashes and looks up both keys.
for index in 0..<10_000 {
    _ = guarded.store.hit(StoreKey(namespace: "faillock", key: "a/10.0.\(index / 256).\(index % 256)"),
                          window: .seconds(900), limit: 1, flagFor: .seconds(600))
}
precondition(guarded.evaluate(request).principal == "alice")
let busy = nanoseconds(200_000) { _ = guarded.evaluate(request) }
row("evaluate_faillock_debug_10000_locks_ns", busy, "ns", "evaluate_debug_ns", baseline)
row("faillock_added_10000_locks_ns", busy - baseline, "ns", "target_ns", 300)

// The PostgreSQL store (`[store] backend = "postgres"`): the same check reads the same local
// mirror, the database only behind it, so the figure should match the memory store's. bench/run
// runs this suite under scripts/with-postgres, which starts a throwaway cluster and sets
// PORTCULLIS_POSTGRES_URL.
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
let postgresBaseline = nanoseconds(200_000) { _ = base.evaluate(request) }
let postgresEmpty = nanoseconds(200_000) { _ = onPostgres.evaluate(request) }
row("evaluate_faillock_debug_postgres_ns", postgresEmpty, "ns", "evaluate_debug_ns", postgresBaseline)
row("faillock_added_postgres_ns", postgresEmpty - postgresBaseline, "ns", "target_ns", 300)
sync.cancel()
await sync.value
