@testable import AuthzPlugin
import PortcullisNetwork
import PortcullisPluginKit

// The authz rules file (TOML through TOMLKit) and the compiled rule set:
// plugins/authz/Sources/AuthzPlugin/{RuleFile,RuleLines,RuleSet}.swift.
//
// Input: a rules file. The indexed evaluation (what requests get) must decide as the plain
// walk over every rule (what `explain` and `portcullis check` show) does.

let requestMethods = ["GET", "HEAD", "POST", "DELETE", "get"]
let requestPaths = ["/", "/admin", "/admin/", "/admin/x", "/api/v1/items", "/public/a.css", "/a/b/c/d"]
let requestHosts = ["example.com", "API.example.com:8080", ""]
let requestClients: [IPAddress?] = [IPAddress("10.0.0.1"), IPAddress("2001:db8::1"), IPAddress("::ffff:192.168.1.1"), nil]
let identities = [
    Identity(principal: ""),
    Identity(principal: "alice", attributes: [Attribute("groups", "admins,ops"), Attribute("scopes", "read write,admin")]),
    Identity(principal: "bob", attributes: [Attribute("groups", "users"), Attribute("role", "ops")]),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let input = text(start, count) else { return 0 }
    checkRules(input)
    return 0
}

func checkRules(_ text: String) {
    let lineCount = lines(in: text)
    let rules: RuleSet
    do {
        rules = try RuleFile.parse(text, file: "fuzz.rules")
    } catch {
        require(error.file == "fuzz.rules", "an error that does not name the file")
        if let line = error.line { require((1...lineCount + 1).contains(line), "error line \(line) of a \(lineCount)-line file") }
        return
    }
    require(!rules.rules.isEmpty, "a rule set without rules")
    require(Set(rules.rules.map(\.name)).count == rules.rules.count, "two rules with one name")
    var paths = requestPaths
    for rule in rules.rules {
        for matcher in rule.paths ?? [] {
            switch matcher {
            case .exact(let text), .subtree(let text): paths += [String(decoding: text, as: UTF8.self), String(decoding: text, as: UTF8.self) + "/x"]
            case .pattern(let pattern): paths.append(String(pattern.text.map { $0 == "*" ? "x" : $0 }))
            case .any: break
            }
        }
    }
    var step = 0
    // At most 32 paths: the rules' own paths grow with the file, and every one is tried with each
    // method and identity, so a large input would otherwise cost quadratically (a long run fell
    // to about 1,300 executions a second on such inputs).
    for path in paths.prefix(32).compactMap({ try? RequestPath(target: $0) }) {
        for method in requestMethods {
            // Not every combination: a different slice of them for each path keeps a run fast.
            step += 1
            let host = requestHosts[step % requestHosts.count]
            let client = requestClients[step % requestClients.count]
            for identity in identities {
                let facts = rules.facts(method: method, path: path, host: host, client: client, identity: identity, headIsGet: step % 2 == 0)
                let fast = rules.evaluate(facts, explain: false)
                let walked = rules.evaluate(facts, explain: true)
                require(fast.allowed == walked.allowed && fast.decidingRule == walked.decidingRule,
                        "indexed and full evaluation disagree for \(method) \(path.text): \(fast) vs \(walked)")
                require(fast.shadowMatches == walked.shadowMatches, "shadow matches differ for \(method) \(path.text)")
                require(walked.tried.count <= rules.rules.count, "a rule tried twice")
                if let decider = walked.decidingRule {
                    require(!rules.rules[decider].shadow, "a shadow rule decided")
                    require(fast.allowed == (rules.rules[decider].effect == .allow), "the decision is not the deciding rule's effect")
                } else {
                    require(!fast.allowed, "allowed without a deciding rule")
                }
            }
        }
    }
}
