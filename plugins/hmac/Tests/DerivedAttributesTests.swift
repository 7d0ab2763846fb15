import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

@testable import HmacPlugin

/// `scopes` from `scope`/`scp`, `groups` and `roles` from `groups_claim`/`roles_claim`, written
/// by the multi-valued attribute convention (items joined by ',').
final class DerivedAttributesTests: XCTestCase {
    let key = randomKey(kid: "k")
    let now = 1_800_000_000.0

    func verify(_ claims: [String: JSONValue], groups: String? = nil, roles: String? = nil) -> Result<VerifiedToken, TokenRejection> {
        var all: [String: JSONValue] = ["sub": .string("alice"), "exp": .number(now + 60)]
        all.merge(claims) { $1 }
        let verifier = TokenVerifier(policy: TokenPolicy(groupsClaim: groups.flatMap(ClaimPath.init), rolesClaim: roles.flatMap(ClaimPath.init)))
        return verifier.verify(TokenIssuer.issue(claims: all, key: key), keys: try! KeySet(keys: [key]), now: now)
    }

    func attributes(_ claims: [String: JSONValue], groups: String? = nil, roles: String? = nil) throws -> [Attribute] {
        try verify(claims, groups: groups, roles: roles).get().attributes
    }

    func testScopeStringAndScpStringOrArray() throws {
        XCTAssertEqual(try attributes(["scope": .string("openid  api:read")]), [Attribute("scopes", "openid,api:read")])
        XCTAssertEqual(try attributes(["scp": .array([.string("a"), .string("b")])]), [Attribute("scopes", "a,b")])
        XCTAssertEqual(try attributes(["scp": .string("a b")]), [Attribute("scopes", "a,b")])
        XCTAssertEqual(try attributes(["scope": .string("a b"), "scp": .array([.string("b"), .string("c")])]), [Attribute("scopes", "a,b,c")])
        XCTAssertEqual(try attributes([:]), [])
        XCTAssertEqual(try attributes(["scope": .string("")]), [])
    }

    func testNestedAndNamespacedClaims() throws {
        let claims: [String: JSONValue] = [
            "realm_access": .object(["roles": .array([.string("ops"), .string("dev")])]),
            "https://example.com/groups": .array([.string("admins")]),
            "team": .string("core"),
        ]
        XCTAssertEqual(try attributes(claims, groups: "https://example.com/groups", roles: "realm_access.roles"),
                       [Attribute("groups", "admins"), Attribute("roles", "ops,dev")])
        XCTAssertEqual(try attributes(claims, groups: "team"), [Attribute("groups", "core")])
        XCTAssertEqual(try attributes(claims, roles: "realm_access.missing"), [])
    }

    func testWrongShapesRefuseTheTokenAndCommasAreLeftOut() throws {
        XCTAssertEqual(try attributes(["groups": .array([.string("a,b"), .string("c")])], groups: "groups"), [Attribute("groups", "c")])
        for (claims, name) in [
            (["scope": JSONValue.array([.string("a")])], "scope"),
            (["scp": .number(1)], "scp"),
            (["groups": .array([.number(1)])], "groups"),
            (["realm_access": .object(["roles": .object([:])])], "realm_access.roles"),
        ] as [([String: JSONValue], String)] {
            guard case .failure(let rejection) = verify(claims, groups: "groups", roles: "realm_access.roles") else {
                XCTFail("\(claims) should be refused"); continue
            }
            XCTAssertEqual(rejection, .invalidClaim(name))
        }
    }

    func testClaimPathsAndExposeConflictsAreConfigurationErrors() throws {
        XCTAssertNil(ClaimPath("a..b"))
        XCTAssertNil(ClaimPath(""))
        XCTAssertNil(ClaimPath(".a"))
        let keys = try TestSupport.temporaryDirectory(self) + "/keys.jwks"
        try TestSupport.write(jwks([key]), to: keys)
        for arguments in [[("groups_claim", "a..b")], [("expose", "scopes")], [("roles_claim", "")]] {
            XCTAssertThrowsError(try HmacPlugin(options: PluginOptions([(name: "keys", value: keys)] + arguments.map { (name: $0.0, value: $0.1) },
                                                                         table: HmacPlugin.options), host: .none), "\(arguments)")
        }
    }
}
