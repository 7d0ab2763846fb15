// bench-faillock: what the faillock plugin adds to a request whose key is not locked, with the
// memory store, through the real host (the plugins loaded from this directory). Base: a stack of
// one debug entry that allows. Measured: faillock (requisite) in front of it.
//
// answer_*: the answer path (Gatekeeper.evaluateWithoutBlocking, what the daemon does before it
// answers): faillock's check builds the address key and the Basic user's key and reads both from
// the store's local table. Target: under 300 ns added. evaluate_*: the same plus observe, which the
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

func measure(_ label: String, _ guarded: Gatekeeper = guarded) {
    let answerBase = nanoseconds(200_000) { _ = base.evaluateWithoutBlocking(request) }
    let answer = nanoseconds(200_000) { _ = guarded.evaluateWithoutBlocking(request) }
    row("answer_debug_ns", answerBase, "ns", "-", 0)
    row("answer_faillock_debug_\(label)_ns", answer, "ns", "answer_debug_ns", answerBase)
    row("faillock_check_added_\(label)_ns", answer - answerBase, "ns", "target_ns", 300)
    let evaluateBase = nanoseconds(200_000) { _ = base.evaluate(request) }
    let evaluate = nanoseconds(200_000) { _ = guarded.evaluate(request) }
    row("evaluate_debug_ns", evaluateBase, "ns", "-", 0)
    row("evaluate_faillock_debug_\(label)_ns", evaluate, "ns", "evaluate_debug_ns", evaluateBase)
    row("faillock_check_and_observe_added_\(label)_ns", evaluate - evaluateBase, "ns", "answer_added", answer - answerBase)
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
