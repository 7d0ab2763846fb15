import PortcullisPluginKit

/// The detail of an authz answer: one JSON object on one line, for the log and for
/// `portcullis check`, which shows a JSON detail as fields (docs/plugin-abi.md, "Details").
/// Names rules and conditions, never a credential; the client never sees it.
///
/// `{"path":"/admin/x","method":"DELETE","decision":"deny","rule":"…","effect":"deny",
///   "nearest_allow":{"rule":"…","failed":"groups"},"shadow":["…"],
///   "tried":[{"rule":"…","failed":"methods"},{"rule":"…","matched":true}]}`
///
/// Built as bytes from fragments escaped once per rules file (``RuleSet/jsonNames``): it lists
/// every rule tried, so with many rules it is most of the cost of a check.
enum Explanation {
    static func detail(_ evaluation: Evaluation, rules: RuleSet, path: RequestPath, method: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(96 + evaluation.tried.count * 40)
        var head = "{\"path\":"
        JSONString.write(path.text, to: &head)
        head += ",\"method\":"
        JSONString.write(method, to: &head)
        head += ",\"decision\":\"\(evaluation.allowed ? "allow" : "deny")\""
        out += head.utf8
        if let index = evaluation.decidingRule {
            out += ",\"rule\":".utf8
            out += rules.jsonNames[index]
            out += ",\"effect\":\"\(rules.rules[index].effect.rawValue)\"".utf8
        } else {
            out += ",\"rule\":null,\"why\":\"no rule matched\"".utf8
        }
        if !evaluation.allowed, let nearest = evaluation.nearestAllow {
            out += ",\"nearest_allow\":".utf8
            step(nearest, rules, to: &out)
        }
        if !evaluation.shadowMatches.isEmpty {
            out += ",\"shadow\":[".utf8
            for (offset, index) in evaluation.shadowMatches.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                out += rules.jsonNames[index]
            }
            out.append(UInt8(ascii: "]"))
        }
        out += ",\"tried\":[".utf8
        for (offset, tried) in evaluation.tried.enumerated() {
            if offset > 0 { out.append(UInt8(ascii: ",")) }
            step(tried, rules, to: &out)
        }
        out += "]}".utf8
        return String(decoding: out, as: UTF8.self)
    }

    /// The detail of a path refused before any rule ran.
    static func refused(_ error: RequestPathError) -> String {
        var out = "{\"decision\":\"deny\",\"path_refused\":"
        JSONString.write(error.description, to: &out)
        return out + "}"
    }

    /// `{"rule":"NAME","failed":"CONDITION"}` or `{"rule":"NAME","matched":true}`: two copies of
    /// bytes made once (``RuleSet/jsonSteps``, ``suffixes``).
    private static func step(_ step: Evaluation.Step, _ rules: RuleSet, to out: inout [UInt8]) {
        out.append(contentsOf: rules.jsonSteps[step.rule])
        out.append(contentsOf: step.failed.map { suffixes[$0.rank] } ?? matched)
    }

    private static let suffixes: [[UInt8]] = Rule.Condition.allCases.sorted().map { Array(",\"failed\":\"\($0.rawValue)\"}".utf8) }
    private static let matched = Array(",\"matched\":true}".utf8)
}
