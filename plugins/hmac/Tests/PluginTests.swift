import Crypto
import Foundation
@testable import HmacPlugin
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

/// The adapter's configuration and challenges. Its `check` is covered through the real
/// loader (a `PluginRequest` wraps the host's C struct and is made only by the SDK).
final class PluginTests: XCTestCase {
    func makePlugin(_ arguments: [(String, String)]) throws -> HmacPlugin {
        try HmacPlugin(options: PluginOptions(arguments.map { (name: $0.0, value: $0.1) }, table: HmacPlugin.options), host: .none)
    }

    func keyFile() throws -> String {
        let path = try TestSupport.temporaryDirectoryURL(self).appendingPathComponent("keys.jwks")
        try TestSupport.replaceAtomically(path, with: jwks([randomKey(kid: "a")]))
        return path.path
    }

    func testDescriptorFacts() {
        XCTAssertEqual(HmacPlugin.name, "hmac")
        XCTAssertEqual(HmacPlugin.flags, [.cacheable], "verification is inline CPU work: not blocking")
        XCTAssertEqual(HmacPlugin.consumes, [.bearer])
    }

    func testConfiguration() throws {
        let keys = try keyFile()
        XCTAssertNoThrow(try makePlugin([("keys", keys)]))
        XCTAssertNoThrow(try makePlugin([("keys", keys), ("realm", "api"), ("leeway", "5"), ("max_age", "600"), ("issuer", "i"),
                                         ("audience", "a"), ("audience", "b"), ("required", "jti"), ("expose", "role"), ("max_length", "4096"),
                                         ("reload_interval", "0")]))
        XCTAssertThrowsError(try makePlugin([])) { XCTAssertTrue(String(describing: $0).contains("keys")) }
        XCTAssertThrowsError(try makePlugin([("keys", keys), ("algorithm", "none")])) {
            XCTAssertTrue(String(describing: $0).contains("unknown argument 'algorithm'"))
        }
        XCTAssertThrowsError(try makePlugin([("keys", keys), ("leeway", "-1")]))
        XCTAssertThrowsError(try makePlugin([("keys", keys), ("realm", "a\nb")])) { XCTAssertTrue(String(describing: $0).contains("realm")) }
        XCTAssertThrowsError(try makePlugin([("keys", keys), ("realm", "")])) { XCTAssertTrue(String(describing: $0).contains("realm")) }
        // The SDK's realm rule: quotes and backslashes are escaped (RFC 6750 quoted-string), not refused.
        XCTAssertEqual(try makePlugin([("keys", keys), ("realm", #"a"b\c"#)]).challenge, #"Bearer realm="a\"b\\c""#)
        XCTAssertThrowsError(try makePlugin([("keys", "/nonexistent/keys.jwks")])) {
            XCTAssertTrue(String(describing: $0).contains("/nonexistent/keys.jwks"))
        }
        XCTAssertThrowsError(try makePlugin([("keys", keys), ("revoked", "/nonexistent/revoked")])) {
            XCTAssertTrue(String(describing: $0).contains("/nonexistent/revoked"))
        }
    }

    func testChallenges() throws {
        let plugin = try makePlugin([("keys", try keyFile()), ("realm", "api")])
        XCTAssertEqual(plugin.challenge(for: .expired(at: 0)),
                       #"Bearer realm="api", error="invalid_token", error_description="The access token expired""#)
        XCTAssertEqual(plugin.challenge(for: .badSignature), #"Bearer realm="api", error="invalid_token""#)
        XCTAssertEqual(plugin.challenge(for: .unknownKey), #"Bearer realm="api", error="invalid_token""#)
        XCTAssertEqual(plugin.challenge(for: .malformed("x")),
                       #"Bearer realm="api", error="invalid_token", error_description="The access token is malformed""#)
        XCTAssertEqual(plugin.challenge(for: .revoked),
                       #"Bearer realm="api", error="invalid_token", error_description="The access token was revoked""#)
        XCTAssertEqual(Challenge.bearer(realm: try Realm("api")), #"Bearer realm="api""#)
    }
}

/// `portcullis-token`, the executable behind `portcullis token`, run as a user would.
final class TokenToolTests: XCTestCase {
    var tool: String { TestSupport.binDirectory + "/portcullis-token" }

    func setUpKeys(_ keys: [HmacKey]) throws -> String {
        let path = try TestSupport.temporaryDirectoryURL(self).appendingPathComponent("keys.jwks")
        try TestSupport.replaceAtomically(path, with: jwks(keys))
        return path.path
    }

    func testIssuedTokensVerify() throws {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            return XCTFail("\(tool) is missing: build it with `swift build --product portcullis-token`")
        }
        let old = randomKey(kid: "2026-10"), new = randomKey(kid: "2026-11", .hs512)
        let keysPath = try setUpKeys([old, new])
        let issued = try TestSupport.run(tool, ["issue", "--keys", keysPath, "--kid", "2026-11", "--sub", "alice", "--ttl", "15m",
                                    "--aud", "billing", "--iss", "auth", "--claim", "role=admin", "--claim", "team=a=b"])
        XCTAssertEqual(issued.status, 0, issued.stderr)
        let token = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let keys = try KeySet(contentsOf: keysPath)
        let now = Date().timeIntervalSince1970
        let verifier = TokenVerifier(policy: TokenPolicy(issuer: "auth", audiences: ["billing"], exposedClaims: ["role", "team"]))
        let verified = try verifier.verify(token, keys: keys, now: now).get()
        XCTAssertEqual(verified.subject, "alice")
        XCTAssertEqual(verified.kid, "2026-11")
        XCTAssertEqual(verified.algorithm, .hs512)
        XCTAssertEqual(verified.attributes, [Attribute("role", "admin"), Attribute("team", "a=b")])
        // --ttl 15m, issued moments ago: a loaded machine may take seconds to get here.
        XCTAssertTrue((840...900).contains(verified.remainingLifetime), "\(verified.remainingLifetime)")
        XCTAssertNotNil(verified.claims["jti"]?.stringValue)

        // The tool's own verify prints the claims…
        let checked = try TestSupport.run(tool, ["verify", "--keys", keysPath, "--aud", "billing", token])
        XCTAssertEqual(checked.status, 0, checked.stderr)
        let claims = try JSONValue.parse(checked.stdoutBytes)
        XCTAssertEqual(claims.objectValue?["sub"], .string("alice"))
        // …and the reason when it refuses.
        let wrongAudience = try TestSupport.run(tool, ["verify", "--keys", keysPath, "--aud", "reports", token])
        XCTAssertEqual(wrongAudience.status, 1)
        XCTAssertTrue(wrongAudience.stderr.hasPrefix("invalid_credentials: wrong audience"), wrongAudience.stderr)
        let rotated = try setUpKeys([old])
        let unknown = try TestSupport.run(tool, ["verify", "--keys", rotated, "--aud", "billing", token])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.hasPrefix("invalid_credentials: no key for the token's kid"), unknown.stderr)
        XCTAssertFalse(unknown.stderr.contains(token), "the token is never echoed")
    }

    func testIssueRefusesAmbiguityAndBadInput() throws {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            return XCTFail("\(tool) is missing: build it with `swift build --product portcullis-token`")
        }
        let keysPath = try setUpKeys([randomKey(kid: "a"), randomKey(kid: "b")])
        let noKid = try TestSupport.run(tool, ["issue", "--keys", keysPath, "--sub", "alice"])
        XCTAssertNotEqual(noKid.status, 0)
        XCTAssertTrue(noKid.stderr.contains("--kid"), noKid.stderr)
        XCTAssertNotEqual(try TestSupport.run(tool, ["issue", "--keys", keysPath, "--kid", "a", "--sub", "alice", "--ttl", "soon"]).status, 0)
        XCTAssertNotEqual(try TestSupport.run(tool, ["issue", "--keys", keysPath, "--kid", "a", "--sub", "alice", "--claim", "exp=1"]).status, 0)
        XCTAssertNotEqual(try TestSupport.run(tool, ["issue", "--keys", "/nonexistent", "--sub", "alice"]).status, 0)
        let expired = TokenIssuer.issue(claims: ["sub": .string("a"), "exp": .number(1000)], key: try KeySet(contentsOf: keysPath).keys[0])
        let refused = try TestSupport.run(tool, ["verify", "--keys", keysPath, expired])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.hasPrefix("expired_credentials"), refused.stderr)
    }
}
