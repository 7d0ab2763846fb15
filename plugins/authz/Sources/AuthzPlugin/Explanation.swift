import PortcullisPluginKit

/// The detail of an authz answer: one JSON object on one line, for the log and for
/// `portcullis check`, which shows a JSON detail as fields (docs/plugin-abi.md, "Details").
/// Names rules and conditions, never a credential; the client never sees it.
///
/// `{"path":"/admin/x","decision":"deny","rule":"…","effect":"deny","nearest_allow":{"rule":"…","failed":"groups"},
///   "shadow":["…"],"tried":[{"rule":"…","failed":"methods"},{"rule":"…","matched":true}]}`
enum Explanation {
    static func detail(_ evaluation: Evaluation, rules: RuleSet, path: RequestPath, method: String) -> String {
        var out = "{\"path\":"
        JSONString.write(path.text, to: &out)
        out += ",\"method\":"
        JSONString.write(method, to: &out)
        out += ",\"decision\":\"\(evaluation.allowed ? "allow" : "deny")\""
        if let index = evaluation.decidingRule {
            out += ",\"rule\":"
            JSONString.write(rules.rules[index].name, to: &out)
            out += ",\"effect\":\"\(rules.rules[index].effect.rawValue)\""
        } else {
            out += ",\"rule\":null,\"why\":\"no rule matched\""
        }
        if !evaluation.allowed, let nearest = evaluation.nearestAllow {
            out += ",\"nearest_allow\":"
            step(nearest, rules, to: &out)
        }
        if !evaluation.shadowMatches.isEmpty {
            out += ",\"shadow\":["
            for (offset, index) in evaluation.shadowMatches.enumerated() {
                if offset > 0 { out += "," }
                JSONString.write(rules.rules[index].name, to: &out)
            }
            out += "]"
        }
        out += ",\"tried\":["
        for (offset, tried) in evaluation.tried.enumerated() {
            if offset > 0 { out += "," }
            step(tried, rules, to: &out)
        }
        return out + "]}"
    }

    /// The detail of a path refused before any rule ran.
    static func refused(_ error: RequestPathError) -> String {
        var out = "{\"decision\":\"deny\",\"path_refused\":"
        JSONString.write(error.description, to: &out)
        return out + "}"
    }

    private static func step(_ step: Evaluation.Step, _ rules: RuleSet, to out: inout String) {
        out += "{\"rule\":"
        JSONString.write(rules.rules[step.rule].name, to: &out)
        if let failed = step.failed {
            out += ",\"failed\":\"\(failed.rawValue)\"}"
        } else {
            out += ",\"matched\":true}"
        }
    }
}
