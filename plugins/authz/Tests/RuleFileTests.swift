import XCTest

@testable import AuthzPlugin

/// The rules file: what parses, and that every mistake names file, line and key.
final class RuleFileTests: XCTestCase {
    func testTheIssueExampleParses() throws {
        let set = try ruleSet("""
            [[rule]]
            name = "admins change users"
            methods = ["POST", "PUT", "PATCH", "DELETE"]
            paths = ["/admin/**"]
            groups = ["admins"]

            [[rule]]
            name = "readers read"
            methods = ["GET", "HEAD"]
            paths = ["/api/**"]
            scopes = ["api:read"]

            [[rule]]
            name = "no deletes from outside the office"
            effect = "deny"
            methods = ["DELETE"]
            networks_not = ["10.20.0.0/16"]
            """)
        XCTAssertEqual(set.rules.map(\.name), ["admins change users", "readers read", "no deletes from outside the office"])
        XCTAssertEqual(set.rules.map(\.effect), [.allow, .allow, .deny])
        XCTAssertEqual(set.rules.map(\.line), [1, 7, 13])
        XCTAssertEqual(set.rules[1].scopes, ["api:read"])
    }

    func testMistakesNameFileLineAndKey() {
        let cases: [(String, String)] = [
            ("[[rule]]\nname = \"a\"\ngroup = [\"x\"]\n", "rules.toml:3: rule[1].group: unknown key"),
            ("[[rule]]\nname = \"a\"\n\n[[rule]]\nname = \"b\"\npaths = []\n", "rules.toml:6: rule[2].paths: is empty"),
            ("[[rule]]\nname = \"a\"\nmethods = [\"get\"]\n", "rules.toml:3: rule[1].methods: 'get' is not a method"),
            ("[[rule]]\nname = \"a\"\npaths = [\"admin/**\"]\n", "rules.toml:3: rule[1].paths: path pattern 'admin/**' must start with '/'"),
            ("[[rule]]\nname = \"a\"\npaths = [\"/a/x**\"]\n", "rules.toml:3: rule[1].paths: path pattern '/a/x**' uses '**' inside a segment"),
            ("[[rule]]\nname = \"a\"\nnetworks = [\"10.0.0.1/8\"]\n", "rules.toml:3: rule[1].networks:"),
            ("[[rule]]\nname = \"a\"\nnetworks_not = [\"office\"]\n", "rules.toml:3: rule[1].networks_not:"),
            ("[[rule]]\nname = \"a\"\neffect = \"permit\"\n", "rules.toml:3: rule[1].effect: must be \"allow\" or \"deny\""),
            ("[[rule]]\nname = \"a\"\nshadow = \"yes\"\n", "rules.toml:3: rule[1].shadow: must be true or false"),
            ("[[rule]]\npaths = [\"/\"]\n", "rules.toml:1: rule[1]: every rule needs a name"),
            ("[[rule]]\nname = \"a\"\n[[rule]]\nname = \"a\"\n", "rules.toml:4: rule[2].name: 'a' is already the name of rule 1"),
            ("[[rule]]\nname = \"a\"\ngroups = [\"a,b\"]\n", "rules.toml:3: rule[1].groups: 'a,b': group names cannot contain ','"),
            ("[[rule]]\nname = \"a\"\nscopes = [\"read write\"]\n", "rules.toml:3: rule[1].scopes: 'read write' is not a scope token"),
            ("[[rule]]\nname = \"a\"\nclaims = { role = 3 }\n", "rules.toml:3: rule[1].claims: 'role' must be a string"),
            ("[[rule]]\nname = \"a\"\nclaims = {}\n", "rules.toml:3: rule[1].claims: is empty"),
            ("[[rule]]\nname = \"a\"\nhosts = [\"app.example.com:443\"]\n", "rules.toml:3: rule[1].hosts: 'app.example.com:443' is not a host name"),
            ("[[rule]]\nname = \"a\"\nusers = \"alice\"\n", "rules.toml:3: rule[1].users: must be an array of strings"),
            ("default = \"allow\"\n[[rule]]\nname = \"a\"\n", "rules.toml:1: default: unknown key"),
            ("# nothing\n", "rules.toml:?: rule: no rules"),
            ("[[rule]]\nname = \"a\"\npaths = [\"/x\"\n", "rules.toml:3: : TOML syntax"),
        ]
        for (text, expected) in cases {
            let error = ruleError(text)
            XCTAssertTrue(error?.description.hasPrefix(expected) == true, "\(error?.description ?? "no error") should start with \(expected)")
        }
    }

    func testListsDeduplicateAndHostsLowerCase() throws {
        let set = try ruleSet("""
            [[rule]]
            name = "a"
            methods = ["GET", "GET", "PROPFIND"]
            hosts = ["App.Example.com", "*.example.org"]
            claims = { role = ["ops", "sre"], team = "core" }
            """)
        XCTAssertEqual(set.rules[0].hosts, [.exact("app.example.com"), .subdomains(of: ".example.org")])
        XCTAssertEqual(set.rules[0].claims?.map(\.name), ["role", "team"])
        XCTAssertEqual(set.rules[0].claims?.first?.values, ["ops", "sre"])
    }
}
