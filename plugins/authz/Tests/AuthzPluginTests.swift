import Foundation
import PortcullisPluginKit
import XCTest

@testable import AuthzPlugin

/// The plugin's decisions through the SDK's real `pc_request` views: first match, every
/// condition, fail-closed answers and the detail.
final class AuthzPluginTests: XCTestCase {
    let issueRules = """
        [[rule]]
        name = "no deletes from outside the office"
        effect = "deny"
        methods = ["DELETE"]
        networks_not = ["10.20.0.0/16"]

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
        """
    let admins = [Attribute("groups", "staff,admins")]

    func testNoIdentityIsMissingCredentials() throws {
        let plugin = try authz(issueRules)
        XCTAssertEqual(plugin.check("GET", "/api/x", principal: nil).denyReason, .missingCredentials)
        // Attributes without a principal are not an identity either.
        let outcome = PluginRequest.withTestRequest(path: "/api/x", identity: Identity(principal: "", attributes: admins)) { plugin.check($0) }
        XCTAssertEqual(outcome.denyReason, .missingCredentials)
    }

    func testFirstMatchDecidesAndNoMatchDenies() throws {
        let plugin = try authz(issueRules)
        let allowed = plugin.check("POST", "/admin/users", attributes: admins, client: "198.51.100.1")
        XCTAssertTrue(allowed.isAllow, "\(allowed)")
        XCTAssertEqual(allowed.decidingRule, "admins change users")
        guard case .allow(let identity, _, let ttl) = allowed else { return XCTFail() }
        XCTAssertEqual(identity, Identity(principal: ""), "an authz allow carries no principal or attributes")
        XCTAssertEqual(ttl, 0)

        // The deny rule comes first and wins over the allow below it.
        let outside = plugin.check("DELETE", "/admin/users/7", attributes: admins, client: "198.51.100.1")
        XCTAssertEqual(outside.denyReason, .insufficientPermissions)
        XCTAssertEqual(outside.decidingRule, "no deletes from outside the office")
        XCTAssertTrue(plugin.check("DELETE", "/admin/users/7", attributes: admins, client: "10.20.3.4").isAllow)

        // Outside the group: no rule matches.
        let stranger = plugin.check("POST", "/admin/users", attributes: [Attribute("groups", "staff")])
        XCTAssertEqual(stranger.denyReason, .insufficientPermissions)
        XCTAssertEqual(stranger.challenge, nil, "Basic: no challenge on a 403")
        let explanation = try XCTUnwrap(stranger.explanation)
        XCTAssertTrue(explanation["rule"] is NSNull)
        XCTAssertEqual((explanation["nearest_allow"] as? [String: Any])?["rule"] as? String, "admins change users")
        XCTAssertEqual((explanation["nearest_allow"] as? [String: Any])?["failed"] as? String, "groups")
        let tried = try XCTUnwrap(explanation["tried"] as? [[String: Any]])
        XCTAssertEqual(tried.map { $0["failed"] as? String }, ["methods", "groups", "methods"])
        XCTAssertEqual(explanation["path"] as? String, "/admin/users")
    }

    func testGroupsMustBeWholeItems() throws {
        let plugin = try authz(issueRules)
        for groups in ["administrators", "admins-old", "xadmins", " admins", ""] {
            XCTAssertFalse(plugin.check("POST", "/admin/x", attributes: [Attribute("groups", groups)]).isAllow, groups)
        }
        // Every `groups` attribute counts (two credential entries may each add one).
        XCTAssertTrue(plugin.check("POST", "/admin/x", attributes: [Attribute("groups", "staff"), Attribute("groups", "admins")]).isAllow)
    }

    func testScopesNeedEveryItemAndBearerLearnsWhichOnes() throws {
        let plugin = try authz("""
            [[rule]]
            name = "writers"
            methods = ["POST"]
            paths = ["/api/**"]
            scopes = ["api:read", "api:write"]
            """, [("realm", "api")])
        let token = Credential.bearer(token: Array("t.t.t".utf8))
        XCTAssertTrue(plugin.check("POST", "/api/x", attributes: [Attribute("scopes", "api:write,api:read,other")], credential: token).isAllow)
        let partial = plugin.check("POST", "/api/x", attributes: [Attribute("scopes", "api:read")], credential: token)
        XCTAssertEqual(partial.denyReason, .insufficientPermissions)
        XCTAssertEqual(partial.challenge, #"Bearer realm="api", error="insufficient_scope", scope="api:read api:write""#)
        // Basic gets no Bearer challenge; a rule that failed on the path says nothing of scopes.
        XCTAssertNil(plugin.check("POST", "/api/x", attributes: [Attribute("scopes", "api:read")]).challenge)
        XCTAssertNil(plugin.check("POST", "/other", attributes: [Attribute("scopes", "api:read")], credential: token).challenge)
    }

    func testUsersHostsAndClaims() throws {
        let plugin = try authz("""
            [[rule]]
            name = "ops on the console"
            hosts = ["console.example.com", "*.ops.example.com"]
            claims = { roles = ["ops", "sre"], team = "core" }

            [[rule]]
            name = "bob anywhere"
            users = ["bob"]
            """)
        let ops = [Attribute("roles", "dev,sre"), Attribute("team", "core")]
        XCTAssertTrue(plugin.check("GET", "/", attributes: ops, host: "Console.Example.com:8443").isAllow)
        XCTAssertTrue(plugin.check("GET", "/", attributes: ops, host: "eu.ops.example.com").isAllow)
        XCTAssertFalse(plugin.check("GET", "/", attributes: ops, host: "ops.example.com").isAllow)
        XCTAssertFalse(plugin.check("GET", "/", attributes: ops, host: "console.example.com.evil").isAllow)
        XCTAssertFalse(plugin.check("GET", "/", attributes: [Attribute("roles", "sre")], host: "console.example.com").isAllow,
                       "every claim must hold")
        XCTAssertTrue(plugin.check("GET", "/", principal: "bob", host: "x").isAllow)
        XCTAssertFalse(plugin.check("GET", "/", principal: "bobby", host: "x").isAllow)
    }

    func testHeadIsGetOnlyWhereSaid() throws {
        let rules = """
            [[rule]]
            name = "read"
            methods = ["GET"]
            """
        XCTAssertFalse(try authz(rules).check("HEAD", "/x").isAllow)
        XCTAssertTrue(try authz(rules, [("head_is_get", "true")]).check("HEAD", "/x").isAllow)
        XCTAssertFalse(try authz(rules, [("head_is_get", "true")]).check("get", "/x").isAllow, "methods are case-sensitive")
        XCTAssertTrue(try authz(rules.replacingOccurrences(of: "[\"GET\"]", with: "[\"GET\", \"HEAD\"]")).check("HEAD", "/x").isAllow)
    }

    func testUnknownClientFailsClosedForAllowAndDenyRules() throws {
        let plugin = try authz("""
            [[rule]]
            name = "no deletes from outside"
            effect = "deny"
            methods = ["DELETE"]
            networks_not = ["10.0.0.0/8"]

            [[rule]]
            name = "office only"
            networks = ["10.0.0.0/8"]
            """)
        XCTAssertEqual(plugin.check("DELETE", "/x", client: nil).decidingRule, "no deletes from outside")
        XCTAssertEqual(plugin.check("GET", "/x", client: nil).denyReason, .insufficientPermissions)
        XCTAssertTrue(plugin.check("GET", "/x", client: "10.1.2.3").isAllow)
        XCTAssertTrue(plugin.check("GET", "/x", client: "::ffff:10.1.2.3").isAllow)
    }

    /// The issue's path cases, through the plugin.
    func testPathsAreMatchedAsTheUpstreamServesThem() throws {
        let plugin = try authz("""
            [[rule]]
            name = "admin area"
            paths = ["/admin/**"]
            """)
        for path in ["/admin/../admin/x", "//admin/x", "/%61dmin/x", "/admin;jsessionid=1/x", "/admin/x?y", "/admin", "/admin/"] {
            XCTAssertTrue(plugin.check("GET", path).isAllow, path)
        }
        for path in ["/administrator", "/", "/x/admin"] {
            let outcome = plugin.check("GET", path)
            XCTAssertEqual(outcome.denyReason, .insufficientPermissions, path)
            XCTAssertNil(outcome.explanation?["path_refused"], path)
        }
        for (path, why) in [("/admin%2fx", "%2F"), ("/%2e%2e/admin", "climb"), ("/a/%00", "NUL"), ("/%zz", "'%'")] {
            let outcome = plugin.check("GET", path)
            XCTAssertEqual(outcome.denyReason, .insufficientPermissions, path)
            XCTAssertTrue((outcome.explanation?["path_refused"] as? String)?.contains(why) == true, "\(path): \(outcome)")
        }
    }

    func testFastPathMatchersAgreeWithPathPattern() throws {
        let patterns = ["/**", "/admin/**", "/admin", "/admin/", "/", "/api/*/items", "/a/**/b", "/x*", "/caf%C3%A9/**"]
        let paths = ["/", "/admin", "/admin/", "/admin/x", "/admin/x/y", "/administrator", "/api/v1/items", "/a/b", "/a/q/r/b", "/x", "/xy", "/caf%C3%A9", "/caf%c3%a9/x", "/café"]
        for text in patterns {
            let pattern = try PathPattern(text)
            let matcher = PathMatcher(pattern)
            for target in paths {
                let path = try RequestPath(target: target)
                let bytes = Array(path.text.utf8)
                XCTAssertEqual(bytes.withUnsafeBufferPointer { matcher.matches(path, bytes: $0) }, pattern.matches(path), "\(text) vs \(target)")
            }
        }
    }

    func testShadowRulesMatchWithoutDeciding() throws {
        let plugin = try authz("""
            [[rule]]
            name = "would block writes"
            effect = "deny"
            shadow = true
            methods = ["POST"]

            [[rule]]
            name = "everyone"
            """)
        let outcome = plugin.check("POST", "/x")
        XCTAssertTrue(outcome.isAllow)
        XCTAssertEqual(outcome.decidingRule, "everyone")
        XCTAssertEqual(outcome.explanation?["shadow"] as? [String], ["would block writes"])
    }

    func testABadFileAtStartIsAConfigurationErrorWithFileLineAndKey() throws {
        XCTAssertThrowsError(try authz("[[rule]]\nname = \"a\"\nmethod = [\"GET\"]\n")) { error in
            XCTAssertTrue("\(error)".contains("rules.toml:3: rule[1].method: unknown key"), "\(error)")
        }
        let path = try rulesFile("")
        try Data([0x5B, 0x5B, 0xFF]).write(to: URL(fileURLWithPath: path))
        let options = try PluginOptions([(name: "rules", value: path)], table: AuthzPlugin.options)
        XCTAssertThrowsError(try AuthzPlugin(options: options, host: .none)) { error in
            XCTAssertTrue("\(error)".contains("not UTF-8"), "\(error)")
        }
        let missing = try PluginOptions([(name: "rules", value: "/nonexistent/rules.toml")], table: AuthzPlugin.options)
        XCTAssertThrowsError(try AuthzPlugin(options: missing, host: .none))
    }

    func testDetailEscapesWhatCameFromTheRequest() throws {
        let plugin = try authz("[[rule]]\nname = \"x\"\nusers = [\"bob\"]\n")
        let outcome = plugin.check("GET", "/a\"b/%E2%80%8F\u{7F}")
        // A raw DEL is refused as a control character; the detail stays one JSON line.
        XCTAssertEqual(outcome.denyReason, .insufficientPermissions)
        let quoted = plugin.check("GET", "/a\"b")
        XCTAssertNotNil(quoted.explanation, quoted.detail ?? "")
        XCTAssertFalse(quoted.detail?.contains("\n") ?? true)
    }
}
