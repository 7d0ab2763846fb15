import Crypto
import Foundation
import HmacPlugin
import Logging
import Portcullis
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

/// The real `libportcullis-authz.so` after the real crypt and hmac plugins, through the host's
/// loader, dispatcher and HTTP mapping: the issue's acceptance, as a client would see it.
final class AuthzLoaderTests: XCTestCase {
    let key = HmacKey(kid: "k1", algorithm: .hs256, secret: SymmetricKey(size: .bits256))
    var now: Double { Date().timeIntervalSince1970.rounded(.down) }

    let rules = """
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

        [[rule]]
        name = "operators operate"
        paths = ["/ops/**"]
        claims = { roles = "ops" }
        """

    struct Setup {
        let gatekeeper: Gatekeeper
        let directory: String
        let log: CapturedLog
    }

    /// Files in a fresh directory and a gatekeeper with two stacks: `basic` (required crypt,
    /// required authz) and `api` (crypt or hmac, then authz).
    func setup(rules: String? = nil, groups: String = "admins: alice\nstaff: alice bob\n", extra: String = "") throws -> Setup {
        let directory = try TestSupport.temporaryDirectory(self)
        let hash = "{SHA}" + Data(Insecure.SHA1.hash(data: Data("secret".utf8))).base64EncodedString()
        try TestSupport.write("alice:\(hash)\nbob:\(hash)\n", to: directory + "/passwords")
        try TestSupport.write(groups, to: directory + "/groups")
        try TestSupport.write(rules ?? self.rules, to: directory + "/rules.toml")
        let k = TokenIssuer.encode(key.secret.withUnsafeBytes { Array($0) })
        try TestSupport.write(#"{"keys":[{"kty":"oct","kid":"k1","alg":"HS256","k":"\#(k)"}]}"#, to: directory + "/keys.jwks")
        let log = CapturedLog()
        let config = try Configuration(parsing: """
            \(extra)
            [[stack.basic]]
            plugin = "crypt"
            control = "required"
            file = "\(directory)/passwords"
            groups_file = "\(directory)/groups"
            realm = "app"

            [[stack.basic]]
            plugin = "authz"
            control = "required"
            rules = "\(directory)/rules.toml"

            [[stack.api]]
            plugin = "crypt"
            control = "[allow=ok default=ignore]"
            file = "\(directory)/passwords"
            groups_file = "\(directory)/groups"
            realm = "app"

            [[stack.api]]
            plugin = "hmac"
            control = "[allow=ok default=ignore]"
            keys = "\(directory)/keys.jwks"
            realm = "api"
            roles_claim = "realm_access.roles"
            groups_claim = "groups"

            [[stack.api]]
            plugin = "authz"
            control = "required"
            rules = "\(directory)/rules.toml"
            reload_interval = 1
            """, file: directory + "/portcullis.toml")
        return Setup(gatekeeper: try Gatekeeper(configuration: config, logger: log.logger), directory: directory, log: log)
    }

    func request(_ method: String, _ path: String, _ authorization: String?, peer: String = "10.20.1.1") -> AuthRequest {
        AuthRequest(method: method, path: path, host: "app.example.com",
                    headers: authorization.map { [("Authorization", $0)] } ?? [], peer: IPAddress(peer))
    }

    func bearer(_ claims: [String: JSONValue]) -> String {
        var all: [String: JSONValue] = ["sub": .string("svc"), "exp": .number(now + 600)]
        all.merge(claims) { $1 }
        return "Bearer " + TokenIssuer.issue(claims: all, key: key)
    }

    func testLoadsAsAnInlineNonCacheablePlugin() throws {
        let library = try XCTUnwrap(setup().gatekeeper.plugins.first { $0.name == "authz" })
        XCTAssertTrue(library.path.hasSuffix("/libportcullis-authz.so"))
        XCTAssertFalse(library.isBlocking)
        XCTAssertFalse(library.isCacheable)
    }

    func testAUserInTheGroupIsAllowedAndOutsideItGets403() throws {
        let setup = try setup()
        let allowed = setup.gatekeeper.evaluate(request("POST", "/admin/users", .basic("alice", "secret")), stack: "basic")
        XCTAssertEqual(allowed.decision, .allow, "\(allowed.trace)")
        XCTAssertEqual(allowed.status, 200)
        // The credential entry's principal lets the request in; authz adds none.
        XCTAssertEqual(allowed.principal, "alice")
        XCTAssertEqual(allowed.attributes, [Attribute("groups", "admins,staff")])
        XCTAssertEqual(allowed.decidedBy, 1)

        let forbidden = setup.gatekeeper.evaluate(request("POST", "/admin/users", .basic("bob", "secret")), stack: "basic")
        XCTAssertEqual(forbidden.decision, .deny)
        XCTAssertEqual(forbidden.reason, .insufficientPermissions)
        XCTAssertEqual(forbidden.status, 403)
        let response = setup.gatekeeper.response(for: forbidden)
        XCTAssertFalse(response.headers.contains { $0.name == "WWW-Authenticate" }, "\(response.headers)")
        // The client is told nothing of the rules.
        let body = String(decoding: response.body, as: UTF8.self)
        XCTAssertTrue(body.contains("insufficient_permissions"), body)
        XCTAssertFalse(body.contains("admins"), body)
        // The trace names why the nearest allow did not match.
        let detail = try XCTUnwrap(forbidden.trace.last?.detail)
        XCTAssertTrue(detail.contains(#""nearest_allow":{"rule":"admins change users","failed":"groups"}"#), detail)
    }

    func testNoCredentialsGets401WithEveryChallenge() throws {
        let setup = try setup()
        let basic = setup.gatekeeper.evaluate(request("GET", "/api/x", nil), stack: "basic")
        XCTAssertEqual(basic.reason, .missingCredentials)
        XCTAssertEqual(basic.status, 401)
        XCTAssertEqual(basic.challenges, [#"Basic realm="app", charset="UTF-8""#])

        let api = setup.gatekeeper.evaluate(request("GET", "/api/x", nil), stack: "api")
        XCTAssertEqual(api.reason, .missingCredentials)
        XCTAssertEqual(api.status, 401)
        XCTAssertEqual(api.challenges, [#"Basic realm="app", charset="UTF-8""#, #"Bearer realm="api""#])
        let header = setup.gatekeeper.response(for: api).headers.first { $0.name == "WWW-Authenticate" }?.value
        XCTAssertEqual(header, #"Basic realm="app", charset="UTF-8", Bearer realm="api""#)
        XCTAssertEqual(api.trace.last?.reason, "missing_credentials")
    }

    func testADenyRuleBeforeAnAllowRuleWins() throws {
        let setup = try setup()
        let inside = setup.gatekeeper.evaluate(request("DELETE", "/admin/users/3", .basic("alice", "secret"), peer: "10.20.9.9"), stack: "basic")
        XCTAssertEqual(inside.decision, .allow, "\(inside.trace)")
        let outside = setup.gatekeeper.evaluate(request("DELETE", "/admin/users/3", .basic("alice", "secret"), peer: "203.0.113.5"), stack: "basic")
        XCTAssertEqual(outside.reason, .insufficientPermissions)
        XCTAssertTrue(outside.trace.last?.detail?.contains(#""rule":"no deletes from outside the office","effect":"deny""#) == true,
                      outside.trace.last?.detail ?? "")
    }

    func testScopeAsAStringAndScpAsAnArrayBothMatch() throws {
        let setup = try setup()
        for claims: [String: JSONValue] in [
            ["scope": .string("openid api:read")],
            ["scp": .array([.string("api:write"), .string("api:read")])],
            ["scp": .string("api:read")],
        ] {
            let outcome = setup.gatekeeper.evaluate(request("GET", "/api/things", bearer(claims)), stack: "api")
            XCTAssertEqual(outcome.decision, .allow, "\(claims): \(outcome.trace)")
            XCTAssertEqual(outcome.principal, "svc")
        }
    }

    func testBearerWithoutTheScopeGets403InsufficientScope() throws {
        let setup = try setup()
        let outcome = setup.gatekeeper.evaluate(request("GET", "/api/things", bearer(["scope": .string("openid")])), stack: "api")
        XCTAssertEqual(outcome.reason, .insufficientPermissions)
        XCTAssertEqual(outcome.status, 403)
        let header = setup.gatekeeper.response(for: outcome).headers.first { $0.name == "WWW-Authenticate" }?.value
        XCTAssertEqual(header, #"Bearer error="insufficient_scope", scope="api:read""#)
    }

    func testANestedRolesClaimMatches() throws {
        let setup = try setup()
        let ops = bearer(["realm_access": .object(["roles": .array([.string("dev"), .string("ops")])])])
        XCTAssertEqual(setup.gatekeeper.evaluate(request("PUT", "/ops/deploy", ops), stack: "api").decision, .allow)
        let dev = bearer(["realm_access": .object(["roles": .array([.string("dev")])])])
        XCTAssertEqual(setup.gatekeeper.evaluate(request("PUT", "/ops/deploy", dev), stack: "api").reason, .insufficientPermissions)
        // A list of the wrong shape refuses the token rather than reading as no roles.
        let odd = bearer(["realm_access": .object(["roles": .number(1)])])
        let refused = setup.gatekeeper.evaluate(request("PUT", "/ops/deploy", odd), stack: "api")
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(refused.trace[1].reason, "invalid_credentials")
    }

    func testGroupsFileReloadTakesEffect() throws {
        let setup = try setup()
        let bob = request("POST", "/admin/users", .basic("bob", "secret"))
        XCTAssertEqual(setup.gatekeeper.evaluate(bob, stack: "basic").reason, .insufficientPermissions)
        try TestSupport.replaceAtomically(URL(fileURLWithPath: setup.directory + "/groups"), with: "admins: alice bob\n")
        XCTAssertTrue(TestSupport.eventually { setup.gatekeeper.evaluate(bob, stack: "basic").isAllowed },
                      "the cached allow without the group must stop counting once the group file changes")
        // A broken group file keeps the groups in force and says where it is broken.
        try TestSupport.replaceAtomically(URL(fileURLWithPath: setup.directory + "/groups"), with: "admins alice bob\n")
        // Requests schedule the looks at the file (in the background).
        XCTAssertTrue(TestSupport.eventually {
            _ = setup.gatekeeper.evaluate(bob, stack: "basic")
            return setup.log.lines.contains { $0.contains("/groups:1: expected 'group: user user …'") }
        },
                      "\(setup.log.lines)")
        XCTAssertTrue(setup.gatekeeper.evaluate(bob, stack: "basic").isAllowed)
    }

    func testABadRulesReloadKeepsTheOldRulesAndNamesFileLineAndKey() throws {
        let setup = try setup()
        let alice = request("GET", "/ops/x", bearer(["realm_access": .object(["roles": .array([.string("ops")])])]))
        XCTAssertTrue(setup.gatekeeper.evaluate(alice, stack: "api").isAllowed)
        let path = setup.directory + "/rules.toml"
        try TestSupport.replaceAtomically(URL(fileURLWithPath: path), with: "[[rule]]\nname = \"x\"\npaths = [\"/ops/**\"]\nrole = \"ops\"\n")
        XCTAssertTrue(TestSupport.eventually {
            _ = setup.gatekeeper.evaluate(alice, stack: "api")
            return setup.log.lines.contains { $0.contains("\(path):4: rule[1].role: unknown key") }
        },
                      "\(setup.log.lines)")
        XCTAssertTrue(setup.gatekeeper.evaluate(alice, stack: "api").isAllowed, "the previous rules stay in force")
        try TestSupport.replaceAtomically(URL(fileURLWithPath: path), with: "[[rule]]\nname = \"nobody\"\nusers = [\"nobody\"]\n")
        XCTAssertTrue(TestSupport.eventually { setup.gatekeeper.evaluate(alice, stack: "api").reason == .insufficientPermissions })
    }

    func testAShadowRuleLogsButDoesNotDeny() throws {
        let setup = try setup(rules: """
            [[rule]]
            name = "trial: no posts"
            effect = "deny"
            shadow = true
            methods = ["POST"]

            [[rule]]
            name = "staff"
            groups = ["staff"]
            """)
        let outcome = setup.gatekeeper.evaluate(request("POST", "/x", .basic("bob", "secret")), stack: "basic")
        XCTAssertEqual(outcome.decision, .allow, "\(outcome.trace)")
        XCTAssertTrue(setup.log.lines.contains { $0.contains("authz: shadow rule 'trial: no posts' (deny) matched POST /x in stack basic") },
                      "\(setup.log.lines)")
        XCTAssertTrue(outcome.trace.last?.detail?.contains(#""shadow":["trial: no posts"]"#) == true)
    }

    func testThePathCasesOfTheIssueThroughTheStack() throws {
        let setup = try setup(rules: "[[rule]]\nname = \"admin area\"\npaths = [\"/admin/**\"]\ngroups = [\"admins\"]\n")
        for path in ["/admin/../admin/x", "//admin/x", "/%61dmin/x", "/admin;jsessionid=1/x", "/admin/x?y"] {
            XCTAssertTrue(setup.gatekeeper.evaluate(request("GET", path, .basic("alice", "secret")), stack: "basic").isAllowed, path)
        }
        for path in ["/admin%2fx", "/%2e%2e/admin", "/a/%00", "/%zz", "/administrator"] {
            let outcome = setup.gatekeeper.evaluate(request("GET", path, .basic("alice", "secret")), stack: "basic")
            XCTAssertEqual(outcome.reason, .insufficientPermissions, path)
            XCTAssertEqual(outcome.status, 403, path)
        }
    }

    func testStatusMappingOfInsufficientPermissions() throws {
        let hidden = try setup(extra: "[status]\ninsufficient_permissions = 404\n")
        let bob = request("POST", "/admin/users", .basic("bob", "secret"))
        XCTAssertEqual(hidden.gatekeeper.evaluate(bob, stack: "basic").status, 404)
        let scope = request("GET", "/api/things", bearer(["scope": .string("openid")]))
        let notFound = hidden.gatekeeper.evaluate(scope, stack: "api")
        XCTAssertEqual(notFound.status, 404)
        XCTAssertFalse(hidden.gatekeeper.response(for: notFound).headers.contains { $0.name == "WWW-Authenticate" })

        // 401 needs a challenge (RFC 9110 §15.5.2): the Bearer one says insufficient_scope; after
        // a Basic login no entry offers one, so it stays a 403.
        let retry = try setup(extra: "[status]\ninsufficient_permissions = 401\n")
        let unauthorized = retry.gatekeeper.evaluate(scope, stack: "api")
        XCTAssertEqual(unauthorized.status, 401)
        let challenge = retry.gatekeeper.response(for: unauthorized).headers.first { $0.name == "WWW-Authenticate" }?.value ?? ""
        XCTAssertTrue(challenge.contains(#"Bearer error="insufficient_scope", scope="api:read""#), challenge)
        XCTAssertEqual(retry.gatekeeper.evaluate(bob, stack: "basic").status, 403)
    }
}
