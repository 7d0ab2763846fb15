import PortcullisPluginKit
import XCTest

@testable import AuthzPlugin

/// The index by method and first path segment only skips rules that cannot match: over many
/// rule sets and requests, evaluating through it decides exactly as testing every rule in turn,
/// with and without the explanation, and the explanation names the same failed condition.
final class RuleIndexTests: XCTestCase {
    /// Every rule tested in turn: the semantics the index must keep.
    func reference(_ set: RuleSet, _ facts: RequestFacts) -> (decided: Int?, shadow: [Int], tried: [Evaluation.Step]) {
        var shadow: [Int] = []
        var tried: [Evaluation.Step] = []
        let bytes = facts.pathBytes
        for (index, rule) in set.rules.enumerated() {
            let failed = bytes.withUnsafeBufferPointer { rule.firstFailure(facts, path: $0) }
            tried.append(.init(rule: index, failed: failed))
            guard failed == nil else { continue }
            if rule.shadow { shadow.append(index); continue }
            return (index, shadow, tried)
        }
        return (nil, shadow, tried)
    }

    func testTheIndexDecidesAsEveryRuleInTurn() throws {
        var generator = SystemRandomNumberGenerator()
        let methods = ["GET", "HEAD", "POST", "DELETE", "PROPFIND"]
        let paths = ["/", "/**", "/admin/**", "/admin", "/api/*/items", "/api/**", "/a*/x", "/**/edit", "/caf%C3%A9/**", "/x/",
                     "/api/v1/**", "/api/v1", "/api/", "/api/v1/*", "/api/**/items", "/api/v*/items", "/api/v1/x/**"]
        let requestPaths = ["/", "/admin", "/admin/x", "/administrator", "/api/v1/items", "/api/v1", "/ab/x", "/q/edit", "/café/1", "/x/", "/x",
                            "/api", "/api/", "/api/v1/", "/api/v1/x/y", "/api/v10/items", "/api/items", "/api/v2/items"]
        for round in 0..<200 {
            var text = ""
            for index in 0..<Int.random(in: 1...12, using: &generator) {
                text += "[[rule]]\nname = \"r\(index)\"\n"
                if Bool.random(using: &generator) { text += "methods = [\"\(methods.randomElement(using: &generator) ?? "GET")\"]\n" }
                if Int.random(in: 0..<3, using: &generator) > 0 {
                    let chosen = (0..<Int.random(in: 1...2, using: &generator)).map { _ in "\"\(paths.randomElement(using: &generator) ?? "/")\"" }
                    text += "paths = [\(chosen.joined(separator: ", "))]\n"
                }
                if Int.random(in: 0..<4, using: &generator) == 0 { text += "hosts = [\"a.example\"]\n" }
                if Int.random(in: 0..<3, using: &generator) == 0 { text += "groups = [\"g\"]\n" }
                if Int.random(in: 0..<4, using: &generator) == 0 { text += "effect = \"deny\"\n" }
                if Int.random(in: 0..<5, using: &generator) == 0 { text += "shadow = true\n" }
            }
            let set = try RuleFile.parse(text, file: "round\(round).toml")
            for _ in 0..<10 {
                let path = try RequestPath(target: requestPaths.randomElement(using: &generator) ?? "/")
                let facts = set.facts(
                    method: (methods + ["PATCH"]).randomElement(using: &generator) ?? "GET", path: path,
                    host: Bool.random(using: &generator) ? "a.example" : "b.example", client: nil,
                    identity: Identity(principal: "u", attributes: Bool.random(using: &generator) ? [Attribute("groups", "g")] : []),
                    headIsGet: Bool.random(using: &generator))
                let expected = reference(set, facts)
                let fast = set.evaluate(facts, explain: false)
                let explained = set.evaluate(facts, explain: true)
                XCTAssertEqual(fast.decidingRule, expected.decided, "\(text)\n\(path)")
                XCTAssertEqual(explained.decidingRule, expected.decided, "\(text)\n\(path)")
                XCTAssertEqual(fast.shadowMatches, expected.shadow, text)
                XCTAssertEqual(explained.shadowMatches, expected.shadow, text)
                XCTAssertEqual(explained.tried, expected.tried, "\(text)\n\(path)")
                XCTAssertEqual(fast.allowed, explained.allowed)
                // The challenge only needs a nearest allow that failed on scopes: the same either way.
                if let nearest = explained.nearestAllow, nearest.failed.map({ $0 > .paths }) == true {
                    XCTAssertEqual(fast.nearestAllow, nearest, text)
                }
            }
        }
    }
}
