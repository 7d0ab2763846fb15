import Crypto
import Foundation
import HmacPlugin
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

/// Every way a token is refused, each with its reason code.
final class RejectionTests: XCTestCase {
    let now = 1_800_000_000.0
    let key = randomKey(kid: "2026-11")
    let otherKey = randomKey(kid: "2026-10")
    lazy var keys = try! KeySet(keys: [key, otherKey])
    let verifier = TokenVerifier(policy: TokenPolicy(leeway: 30))

    func claims(_ extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
        var claims: [String: JSONValue] = ["sub": .string("alice"), "iat": .number(now - 10), "exp": .number(now + 900)]
        claims.merge(extra) { $1 }
        return claims
    }

    func token(_ extra: [String: JSONValue] = [:]) -> String {
        TokenIssuer.issue(claims: claims(extra), key: key)
    }

    /// A token with a hand-written header, signed with `secret` under `algorithm`.
    func token(header: String, claims: String? = nil, algorithm: HmacAlgorithm = .hs256, secret: SymmetricKey? = nil) -> String {
        TokenIssuer.sign(header: header, claims: claims ?? JSONValue.object(JSONObject(self.claims())).serialized,
                         algorithm: algorithm, secret: secret ?? key.secret)
    }

    func assertRejected(_ token: String, _ expected: TokenRejection, reason: ReasonCode, verifier: TokenVerifier? = nil,
                        revoked: RevocationList? = nil, at time: Double? = nil, file: StaticString = #filePath, line: UInt = #line) {
        let result = (verifier ?? self.verifier).verify(token, keys: keys, revoked: revoked, now: time ?? now)
        XCTAssertEqual(result, .failure(expected), file: file, line: line)
        XCTAssertEqual(expected.reason, reason, file: file, line: line)
    }

    func testAGoodTokenVerifies() throws {
        let verified = try verifier.verify(token(), keys: keys, now: now).get()
        XCTAssertEqual(verified.subject, "alice")
        XCTAssertEqual(verified.kid, "2026-11")
        XCTAssertEqual(verified.remainingLifetime, 900)
    }

    // MARK: algorithm and key

    func testAlgNoneIsRefused() {
        let header = TokenIssuer.encode(Array(#"{"alg":"none","kid":"2026-11"}"#.utf8))
        let payload = TokenIssuer.encode(Array(JSONValue.object(JSONObject(claims())).serialized.utf8))
        assertRejected("\(header).\(payload).", .algorithmMismatch, reason: .invalidCredentials)
        // Even with a signature made with the key, "none" is never the key's algorithm.
        assertRejected(token(header: #"{"alg":"none","kid":"2026-11"}"#), .algorithmMismatch, reason: .invalidCredentials)
    }

    func testAlgSwappedToHS384OnAnHS256KeyIsRefused() {
        // Correctly signed with the key's bytes under HS384: the key is bound to HS256.
        let swapped = token(header: #"{"alg":"HS384","kid":"2026-11","typ":"JWT"}"#, algorithm: .hs384)
        assertRejected(swapped, .algorithmMismatch, reason: .invalidCredentials)
    }

    func testAnotherFamilyIsRefused() {
        assertRejected(token(header: #"{"alg":"RS256","kid":"2026-11"}"#), .algorithmMismatch, reason: .invalidCredentials)
    }

    func testUnknownKidIsRefused() {
        let stranger = randomKey(kid: "2025-01")
        assertRejected(TokenIssuer.issue(claims: claims(), key: stranger), .unknownKey, reason: .invalidCredentials)
    }

    func testNoKidIsRefusedWhenTheSetHasSeveralKeys() {
        assertRejected(token(header: #"{"alg":"HS256"}"#), .unknownKey, reason: .invalidCredentials)
    }

    func testNoKidIsAcceptedWhenTheSetHasOneKey() throws {
        let single = try KeySet(keys: [key])
        XCTAssertEqual(try verifier.verify(token(header: #"{"alg":"HS256"}"#), keys: single, now: now).get().kid, "2026-11")
    }

    func testKidOfAnotherKeyIsRefused() {
        // Signed with key, but names otherKey: the MAC does not verify under otherKey.
        assertRejected(token(header: #"{"alg":"HS256","kid":"2026-10"}"#), .badSignature, reason: .invalidCredentials)
    }

    func testBadSignatureIsRefused() {
        let good = token()
        let forged = TokenIssuer.sign(header: #"{"alg":"HS256","kid":"2026-11"}"#, claims: #"{"sub":"root","exp":1900000000}"#,
                                      algorithm: .hs256, secret: SymmetricKey(size: .bits256))
        assertRejected(forged, .badSignature, reason: .invalidCredentials)
        // The payload of one token with the signature of another.
        let parts = good.split(separator: ".")
        let other = token(["role": .string("admin")]).split(separator: ".")
        assertRejected("\(parts[0]).\(other[1]).\(parts[2])", .badSignature, reason: .invalidCredentials)
        // A truncated signature.
        let mac = Base64.decode(Array(parts[2].utf8), alphabet: .url, padding: .forbidden) ?? []
        assertRejected("\(parts[0]).\(parts[1]).\(TokenIssuer.encode(Array(mac.prefix(16))))", .badSignature, reason: .invalidCredentials)
    }

    // MARK: structure

    func testBadPaddingIsMalformed() {
        let good = token()
        let parts = good.split(separator: ".")
        assertRejected(good + "=", .malformed("signature is not base64url without padding"), reason: .malformedCredentials)
        assertRejected("\(parts[0])=.\(parts[1]).\(parts[2])", .malformed("header is not base64url without padding"), reason: .malformedCredentials)
        assertRejected("\(parts[0]).\(parts[1])==.\(parts[2])", .malformed("payload is not base64url without padding"), reason: .malformedCredentials)
    }

    func testOtherAlphabetsAndNonCanonicalBase64AreMalformed() {
        let good = token()
        let parts = good.split(separator: ".")
        // Standard-alphabet characters are not base64url.
        assertRejected("\(parts[0]).\(parts[1]).\(parts[2])+", .malformed("signature is not base64url without padding"), reason: .malformedCredentials)
        // A 43-character signature carries 2 spare bits; setting them must not verify the same MAC.
        let signature = Array(parts[2].utf8)
        let symbols = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let last = symbols.firstIndex(of: signature[signature.count - 1]) ?? 0
        let tweaked = String(decoding: signature.dropLast() + [symbols[last ^ 1]], as: UTF8.self)
        assertRejected("\(parts[0]).\(parts[1]).\(tweaked)", .malformed("signature is not base64url without padding"), reason: .malformedCredentials)
    }

    func testExtraDotsAreMalformed() {
        let good = token()
        assertRejected(good + ".", .malformed("more than three parts"), reason: .malformedCredentials)
        assertRejected(good + ".e30", .malformed("more than three parts"), reason: .malformedCredentials)
        assertRejected(good.replacingOccurrences(of: ".", with: ".."), .malformed("more than three parts"), reason: .malformedCredentials)
        assertRejected(String(good.split(separator: ".")[0]), .malformed("fewer than three parts"), reason: .malformedCredentials)
        assertRejected("", .malformed("fewer than three parts"), reason: .malformedCredentials)
    }

    func testOversizedTokenIsMalformed() {
        let small = TokenVerifier(policy: TokenPolicy(maxLength: 256))
        let big = token(["padding": .string(String(repeating: "x", count: 300))])
        assertRejected(big, .malformed("longer than 256 bytes"), reason: .malformedCredentials, verifier: small)
        // The default limit: 8 KiB.
        let huge = token(["padding": .string(String(repeating: "x", count: 9000))])
        assertRejected(huge, .malformed("longer than 8192 bytes"), reason: .malformedCredentials)
    }

    func testBadJSONIsMalformed() {
        assertRejected(token(header: #"{"alg":"HS256","kid":"2026-11""#), .malformed("header is not a JSON object"), reason: .malformedCredentials)
        assertRejected(token(header: #"["HS256"]"#), .malformed("header is not a JSON object"), reason: .malformedCredentials)
        assertRejected(token(header: #"{"kid":"2026-11"}"#), .malformed("header has no alg"), reason: .malformedCredentials)
        assertRejected(token(header: #"{"alg":"HS256","kid":7}"#), .malformed("kid is not a string"), reason: .malformedCredentials)
        // Duplicate names: a second "alg" must not win.
        assertRejected(token(header: #"{"alg":"HS256","kid":"2026-11","alg":"none"}"#), .malformed("header is not a JSON object"), reason: .malformedCredentials)
        assertRejected(token(header: #"{"alg":"HS256","kid":"2026-11","crit":["exp"],"exp":1}"#), .malformed("unsupported crit header parameter"), reason: .malformedCredentials)
        // Claims are read only after the MAC verifies: a well-signed non-object is malformed.
        assertRejected(token(header: #"{"alg":"HS256","kid":"2026-11"}"#, claims: "[1,2]"), .malformed("claims are not a JSON object"), reason: .malformedCredentials)
        assertRejected(token(header: #"{"alg":"HS256","kid":"2026-11"}"#, claims: #"{"sub":"a","sub":"b","exp":1900000000}"#),
                       .malformed("claims are not a JSON object"), reason: .malformedCredentials)
    }

    func testClaimsOfABadTokenAreNeverRead() {
        // Garbage claims with a wrong MAC: the answer is the signature, not the JSON.
        let header = TokenIssuer.encode(Array(#"{"alg":"HS256","kid":"2026-11"}"#.utf8))
        let payload = TokenIssuer.encode(Array("not json".utf8))
        let signature = TokenIssuer.encode([UInt8](repeating: 7, count: 32))
        assertRejected("\(header).\(payload).\(signature)", .badSignature, reason: .invalidCredentials)
    }

    // MARK: time

    func testExpiredByOneSecondBeyondLeewayIsRefused() throws {
        let expiring = token(["exp": .number(now)])
        assertRejected(expiring, .expired(at: now), reason: .expiredCredentials, at: now + 30 + 1)
        assertRejected(expiring, .expired(at: now), reason: .expiredCredentials, at: now + 30)
        // Inside the leeway it still verifies, with no lifetime left to cache.
        let late = try verifier.verify(expiring, keys: keys, now: now + 29).get()
        XCTAssertEqual(late.remainingLifetime, 0)
        let noLeeway = TokenVerifier(policy: TokenPolicy(leeway: 0))
        assertRejected(expiring, .expired(at: now), reason: .expiredCredentials, verifier: noLeeway, at: now)
    }

    func testNotBeforeInTheFutureIsRefused() throws {
        let future = token(["nbf": .number(now + 31)])
        assertRejected(future, .notYetValid, reason: .invalidCredentials)
        XCTAssertNoThrow(try verifier.verify(token(["nbf": .number(now + 30)]), keys: keys, now: now).get())
    }

    func testMissingOrBadExpIsRefused() {
        var noExp = claims()
        noExp["exp"] = nil
        assertRejected(TokenIssuer.issue(claims: noExp, key: key), .missingClaim("exp"), reason: .invalidCredentials)
        assertRejected(token(["exp": .string("1900000000")]), .invalidClaim("exp"), reason: .invalidCredentials)
        assertRejected(token(["exp": .bool(true)]), .invalidClaim("exp"), reason: .invalidCredentials)
    }

    func testMaxAgeAndIssuedAt() throws {
        let strict = TokenVerifier(policy: TokenPolicy(leeway: 0, maxAge: 300))
        assertRejected(token(["iat": .number(now - 301)]), .tooOld(at: now - 1), reason: .expiredCredentials, verifier: strict)
        let fresh = try strict.verify(token(["iat": .number(now - 100)]), keys: keys, now: now).get()
        XCTAssertEqual(fresh.remainingLifetime, 200)  // iat + max_age comes before exp
        var noIat = claims()
        noIat["iat"] = nil
        assertRejected(TokenIssuer.issue(claims: noIat, key: key), .missingClaim("iat"), reason: .invalidCredentials, verifier: strict)
        assertRejected(token(["iat": .number(now + 31)]), .issuedInFuture, reason: .invalidCredentials)
    }

    // MARK: audience, issuer, required claims

    func testWrongAudienceIsRefused() throws {
        let api = TokenVerifier(policy: TokenPolicy(audiences: ["billing-api"]))
        assertRejected(token(["aud": .string("reports-api")]), .wrongAudience, reason: .invalidCredentials, verifier: api)
        assertRejected(token(["aud": .array([.string("a"), .string("b")])]), .wrongAudience, reason: .invalidCredentials, verifier: api)
        assertRejected(token(), .missingClaim("aud"), reason: .invalidCredentials, verifier: api)
        assertRejected(token(["aud": .number(1)]), .invalidClaim("aud"), reason: .invalidCredentials, verifier: api)
        XCTAssertNoThrow(try api.verify(token(["aud": .string("billing-api")]), keys: keys, now: now).get())
        XCTAssertNoThrow(try api.verify(token(["aud": .array([.string("x"), .string("billing-api")])]), keys: keys, now: now).get())
        // No audience configured: a token meant for someone else is not for us (RFC 7519 §4.1.3).
        assertRejected(token(["aud": .string("billing-api")]), .wrongAudience, reason: .invalidCredentials)
    }

    func testWrongIssuerIsRefused() throws {
        let issuer = TokenVerifier(policy: TokenPolicy(issuer: "https://auth.example"))
        assertRejected(token(["iss": .string("https://evil.example")]), .wrongIssuer, reason: .invalidCredentials, verifier: issuer)
        assertRejected(token(), .missingClaim("iss"), reason: .invalidCredentials, verifier: issuer)
        XCTAssertNoThrow(try issuer.verify(token(["iss": .string("https://auth.example")]), keys: keys, now: now).get())
    }

    func testRequiredClaimsAndSubject() {
        let needsJti = TokenVerifier(policy: TokenPolicy(requiredClaims: ["jti"]))
        assertRejected(token(), .missingClaim("jti"), reason: .invalidCredentials, verifier: needsJti)
        var noSub = claims()
        noSub["sub"] = nil
        assertRejected(TokenIssuer.issue(claims: noSub, key: key), .missingClaim("sub"), reason: .invalidCredentials)
        assertRejected(token(["sub": .number(7)]), .invalidClaim("sub"), reason: .invalidCredentials)
        assertRejected(token(["sub": .string("")]), .invalidClaim("sub"), reason: .invalidCredentials)
    }

    func testExposedClaimsBecomeAttributes() throws {
        let exposing = TokenVerifier(policy: TokenPolicy(exposedClaims: ["role", "scope", "groups", "level", "absent"]))
        let verified = try exposing.verify(
            token(["role": .string("admin"), "scope": .string("read write"), "groups": .array([.string("a"), .string("b")]), "level": .number(3)]),
            keys: keys, now: now
        ).get()
        XCTAssertEqual(verified.attributes, [
            Attribute("role", "admin"), Attribute("scope", "read write"), Attribute("groups", "a,b"), Attribute("level", "3"),
            // Derived from `scope` whatever `expose` says (DerivedAttributesTests).
            Attribute("scopes", "read,write"),
        ])
    }

    // MARK: revocation

    func testRevokedJtiIsRefused() throws {
        let revoked = try RevocationList(bytes: Array("# revoked 2026-11-28\n  jti-1  \n\njti-2\n".utf8), file: "revoked")
        assertRejected(token(["jti": .string("jti-2")]), .revoked, reason: .revokedCredentials, revoked: revoked)
        XCTAssertNoThrow(try verifier.verify(token(["jti": .string("jti-3")]), keys: keys, revoked: revoked, now: now).get())
        XCTAssertEqual(revoked.ids, ["jti-1", "jti-2"])
    }

    /// A numeric jti used to be compared only as a string, so it could never be revoked.
    func testAnIntegerJtiIsRevokedByItsDecimalText() throws {
        let revoked = try RevocationList(bytes: Array("42\n-7\n9007199254740991\n".utf8), file: "revoked")
        for jti in [42.0, -7, 9_007_199_254_740_991] {
            assertRejected(token(["jti": .number(jti)]), .revoked, reason: .revokedCredentials, revoked: revoked)
        }
        // JSON does not tell 42 from 42.0 or 4.2e1: the same number, the same id.
        for text in ["42.0", "4.2e1"] {
            let claims = #"{"sub":"alice","exp":\#(Int(now) + 900),"jti":\#(text)}"#
            assertRejected(token(header: #"{"alg":"HS256","kid":"2026-11"}"#, claims: claims), .revoked, reason: .revokedCredentials, revoked: revoked)
        }
        XCTAssertNoThrow(try verifier.verify(token(["jti": .number(43)]), keys: keys, revoked: revoked, now: now).get())
    }

    /// A jti that is neither a string nor an exact integer could not be revoked: refused, with
    /// or without a revocation list.
    func testAJtiThatCannotBeRevokedIsRefused() throws {
        let revoked = try RevocationList(bytes: Array("4\n".utf8), file: "revoked")
        for jti: JSONValue in [.number(4.5), .number(9_007_199_254_740_992), .number(-1e300), .bool(true), .null, .array([.string("4")]),
                               .object(JSONObject(["id": .string("4")]))] {
            assertRejected(token(["jti": jti]), .invalidClaim("jti"), reason: .invalidCredentials, revoked: revoked)
            assertRejected(token(["jti": jti]), .invalidClaim("jti"), reason: .invalidCredentials)
        }
    }

    /// A revocation file written on Windows (CRLF) revokes the same ids.
    func testRevocationFileWithCRLFLines() throws {
        let revoked = try RevocationList(bytes: Array("# list\r\njti-1\r\njti-2\r\n".utf8), file: "revoked")
        XCTAssertEqual(revoked.ids, ["jti-1", "jti-2"])
    }

    // MARK: reasons map to RFC 6750 challenges

    func testEveryRejectionHasTheRightReasonAndDescription() {
        XCTAssertEqual(TokenRejection.expired(at: 1_764_640_000).errorDescription, "The access token expired")
        // When it expired is the one claim value a detail carries: the operator's remedy says how long ago.
        XCTAssertEqual(TokenRejection.expired(at: 1_764_640_000).detail, "token expired (exp beyond leeway) expired_at=1764640000")
        XCTAssertEqual(TokenRejection.revoked.reason, .revokedCredentials)
        XCTAssertNil(TokenRejection.badSignature.errorDescription)  // say nothing about keys
        XCTAssertNil(TokenRejection.unknownKey.errorDescription)
        for rejection in [TokenRejection.malformed("x"), .unknownKey, .algorithmMismatch, .badSignature, .expired(at: 0), .notYetValid,
                          .tooOld(at: 0), .issuedInFuture, .wrongIssuer, .wrongAudience, .missingClaim("x"), .invalidClaim("x"), .revoked] {
            XCTAssertTrue(rejection.reason.credentialsCouldHelp, "\(rejection) must be a 401-family reason")
        }
    }
}
