// bench-authz: the cost of an authz decision over 10, 100 and 1,000 rules, in one run.
//
// The rules are shaped like a real file (methods, a path subtree, a group; every tenth with a
// glob path, scopes or a claim, and a deny rule with networks_not), and the request matches
// only the LAST rule, so every rule is tried: the worst case.
// - decide_ns_N: the compiled rules on facts already read (what the 2 µs target is about);
//   each rule is about its own area (/svcN/…), so the index by leading path segments leaves few
//   to test; decide_shared_ns_N: the same rules all under /api/v1/ (/api/v1/svcN/…), deeper
//   than the index looks (two segments), so it helps only by method and every rule for GET is
//   tested: the worst case;
// - facts_ns: reading a request once (path normalization, the identity's groups and scopes);
// - check_ns_N: the plugin's whole check through the SDK's real pc_request views: identity,
//   path, decision, and the JSON detail that lists every rule tried.
//
// Output rows: figure <TAB> value <TAB> unit <TAB> comparison-figure <TAB> comparison-value <TAB> ratio
// Sizes take turns over several rounds and each keeps its best, as this 2-core machine is shared.

import AuthzPlugin
import Glibc
import PortcullisPluginKit

func rulesText(_ count: Int, root: String = "") -> String {
    var text = ""
    let methods = [#"["GET", "HEAD"]"#, #"["POST", "PUT", "PATCH"]"#, #"["DELETE"]"#, #"["GET", "POST"]"#]
    for index in 0..<count {
        text += "[[rule]]\nname = \"rule \(index)\"\n"
        let last = index == count - 1
        text += "methods = \(last ? #"["GET"]"# : methods[index % methods.count])\n"
        if index % 10 == 5 {
            text += "paths = [\"\(root)/svc\(index)/*/items\", \"\(root)/svc\(index)/v2/**\"]\n"
        } else {
            text += "paths = [\"\(root)/svc\(index)/**\"]\n"
        }
        text += "groups = [\"group\(index)\", \"admins\(index)\"]\n"
        if index % 10 == 3 { text += "scopes = [\"svc\(index):read\"]\n" }
        if index % 10 == 7 { text += "claims = { roles = \"ops\(index)\" }\n" }
        if index % 10 == 9, !last { text += "effect = \"deny\"\nnetworks_not = [\"10.0.0.0/8\"]\n" }
        text += "\n"
    }
    return text
}

/// Runs `body` until about `budget` seconds pass; returns ns per call.
func measure(budget: Double = 0.4, _ body: () -> Int) -> Double {
    let clock = ContinuousClock()
    var calls = 0
    var checksum = 0
    let start = clock.now
    var elapsed = 0.0
    repeat {
        for _ in 0..<256 { checksum &+= body() }
        calls += 256
        elapsed = (clock.now - start).seconds
    } while elapsed < budget
    if checksum == 42 { print("", terminator: "") }
    return elapsed * 1e9 / Double(calls)
}

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

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

let sizes = [10, 100, 1_000]
let rounds = 6
let directory = "/tmp/bench-authz-\(getpid())"
mkdir(directory, 0o700)
defer { rmdir(directory) }

struct Case {
    let size: Int
    let set: RuleSet
    let facts: RequestFacts
    let plugin: AuthzPlugin
    let path: String
    let identity: Identity
    let sharedSet: RuleSet
    let sharedFacts: RequestFacts
    var decide = Double.infinity
    var shared = Double.infinity
    var check = Double.infinity
}

print("figure\tvalue\tunit\tcomparison-figure\tcomparison-value\tratio")
var cases: [Case] = []
var factsNs = Double.infinity
for size in sizes {
    let file = "\(directory)/rules-\(size).toml"
    let text = rulesText(size)
    guard let handle = fopen(file, "w") else { fatalError("cannot write \(file)") }
    _ = text.withCString { fputs($0, handle) }
    fclose(handle)
    defer { unlink(file) }
    let clock = ContinuousClock()
    let start = clock.now
    let set = try RuleFile.parse(text, file: file)
    row("parse_ms_\(size)", (clock.now - start).seconds * 1000, "ms")
    let last = size - 1
    let target = "/svc\(last)/items/42?page=2"
    let identity = Identity(principal: "alice", attributes: [Attribute("uid", "1000"), Attribute("groups", "staff,group\(last),users")])
    let facts = set.facts(method: "GET", path: try RequestPath(target: target), host: "app.example.com",
                          client: IPAddress("192.0.2.7"), identity: identity, headIsGet: false)
    let evaluation = set.evaluate(facts, explain: false)
    guard evaluation.allowed, evaluation.decidingRule == last else { fatalError("the bench request must match the last rule: \(evaluation)") }
    let plugin = try AuthzPlugin(options: PluginOptions([(name: "rules", value: file), (name: "reload_interval", value: "0")], table: AuthzPlugin.options), host: .none)
    let sharedSet = try RuleFile.parse(rulesText(size, root: "/api/v1"), file: "shared.toml")
    let sharedFacts = sharedSet.facts(method: "GET", path: try RequestPath(target: "/api/v1" + target), host: "app.example.com",
                                      client: IPAddress("192.0.2.7"), identity: identity, headIsGet: false)
    guard sharedSet.evaluate(sharedFacts, explain: false).decidingRule == last else { fatalError("the shared bench request must match the last rule") }
    cases.append(Case(size: size, set: set, facts: facts, plugin: plugin, path: target, identity: identity, sharedSet: sharedSet, sharedFacts: sharedFacts))
}

for _ in 0..<rounds {
    for index in cases.indices {
        let current = cases[index]
        cases[index].decide = min(current.decide, measure { current.set.evaluate(current.facts, explain: false).decidingRule ?? 0 })
        cases[index].shared = min(current.shared, measure { current.sharedSet.evaluate(current.sharedFacts, explain: false).decidingRule ?? 0 })
        let check = PluginRequest.withTestRequest(credential: .basic("alice", "x"), client: IPAddress("192.0.2.7"), method: "GET",
                                                  path: current.path, host: "app.example.com", identity: current.identity) { request in
            measure(budget: 0.2) { if case .allow = current.plugin.check(request) { 1 } else { 0 } }
        }
        cases[index].check = min(current.check, check)
    }
    let first = cases[0]
    factsNs = min(factsNs, measure {
        let path = try? RequestPath(target: first.path)
        guard let path else { return 0 }
        return first.set.facts(method: "GET", path: path, host: "app.example.com", client: IPAddress("192.0.2.7"),
                               identity: first.identity, headIsGet: false).path.text.utf8.count
    })
}

for current in cases {
    if current.size == 100 {
        row("decide_ns_100", current.decide, "ns", "target_decide_ns_100", 2000)
    } else {
        row("decide_ns_\(current.size)", current.decide, "ns", "decide_ns_100", cases[1].decide)
    }
    row("decide_ns_per_rule_\(current.size)", current.decide / Double(current.size), "ns")
}
for current in cases {
    row("decide_shared_ns_\(current.size)", current.shared, "ns", current.size == 100 ? "target_decide_ns_100" : "decide_shared_ns_100",
        current.size == 100 ? 2000 : cases[1].shared)
}
row("facts_ns", factsNs, "ns", "decide_ns_100", cases[1].decide)
for current in cases {
    row("check_ns_\(current.size)", current.check, "ns", "decide_ns_\(current.size)", current.decide)
}
