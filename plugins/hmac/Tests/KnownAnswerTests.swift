import Crypto
import Foundation
import HmacPlugin
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

/// Tokens made by someone else verify: the RFC's own example and one signed by OpenSSL.
final class KnownAnswerTests: XCTestCase {
    // RFC 7515 Appendix A.1: the JWS and the JWK exactly as printed in the RFC. Our key sets
    // require kid and alg on every key, so the JWK gains those two members; the token has no
    // kid, which is accepted because the set holds exactly one key.
    static let rfcToken =
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
        + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let rfcJWKS = """
        {"keys": [{"kty": "oct", "kid": "rfc7515-a1", "alg": "HS256",
                   "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}]}
        """
    /// The key octets as RFC 7515 A.1.1 lists them, to check our base64url reading of `k`.
    static let rfcKeyOctets: [UInt8] = [
        3, 35, 53, 75, 43, 15, 165, 188, 131, 126, 6, 101, 119, 123, 166, 143, 90, 179, 40, 230, 240, 84, 201, 40, 169,
        15, 132, 178, 210, 80, 46, 191, 211, 251, 90, 146, 210, 6, 71, 239, 150, 138, 180, 195, 119, 98, 61, 34, 61, 46,
        33, 114, 5, 46, 79, 8, 192, 205, 154, 245, 103, 208, 128, 163,
    ]
    static let rfcExp = 1_300_819_380.0

    func testRFC7515AppendixA1Verifies() throws {
        let keys = try KeySet(json: Array(Self.rfcJWKS.utf8), file: "rfc.jwks")
        XCTAssertEqual(keys.keys.first?.secret.withUnsafeBytes { Array($0) }, Self.rfcKeyOctets)

        // The example carries no sub, so this check uses a policy that does not ask for one.
        let verifier = TokenVerifier(policy: TokenPolicy(requireSubject: false))
        let verified = try verifier.verify(Self.rfcToken, keys: keys, now: Self.rfcExp - 60).get()
        XCTAssertEqual(verified.kid, "rfc7515-a1")
        XCTAssertEqual(verified.algorithm, .hs256)
        XCTAssertEqual(verified.claims["iss"], .string("joe"))
        XCTAssertEqual(verified.claims["http://example.com/is_root"], .bool(true))
        XCTAssertEqual(verified.remainingLifetime, 60)
    }

    func testRFC7515AppendixA1IsExpiredToday() throws {
        let keys = try KeySet(json: Array(Self.rfcJWKS.utf8), file: "rfc.jwks")
        let verifier = TokenVerifier(policy: TokenPolicy(requireSubject: false))
        XCTAssertEqual(verifier.verify(Self.rfcToken, keys: keys, now: Date().timeIntervalSince1970), .failure(.expired(at: 1_300_819_380)))
    }

    func testRFC7515AppendixA1WithOneBitFlippedFails() throws {
        let keys = try KeySet(json: Array(Self.rfcJWKS.utf8), file: "rfc.jwks")
        let verifier = TokenVerifier(policy: TokenPolicy(requireSubject: false))
        // "…EjXk" → "…EjXg": the last signature byte changes, still canonical base64url.
        let forged = String(Self.rfcToken.dropLast()) + "g"
        XCTAssertEqual(verifier.verify(forged, keys: keys, now: Self.rfcExp - 60), .failure(.badSignature))
    }

    /// A token whose MAC OpenSSL computed (`openssl dgst -<sha> -mac HMAC -macopt hexkey:…`),
    /// for each of the three algorithms.
    func testTokensSignedByOpenSSLVerify() throws {
        guard let openssl = systemTool("openssl") else {
            return XCTFail("openssl is needed for this test (Debian package openssl)")
        }
        let now = Date().timeIntervalSince1970.rounded(.down)
        for (algorithm, digest) in [(HmacAlgorithm.hs256, "-sha256"), (.hs384, "-sha384"), (.hs512, "-sha512")] {
            let key = randomKey(kid: "openssl-\(algorithm.rawValue)", algorithm)
            let hexKey = key.secret.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
            let header = #"{"alg":"\#(algorithm.rawValue)","kid":"\#(key.kid)","typ":"JWT"}"#
            let claims = #"{"sub":"openssl-user","exp":\#(Int(now) + 300),"role":"ops"}"#
            let signingInput = TokenIssuer.encode(Array(header.utf8)) + "." + TokenIssuer.encode(Array(claims.utf8))
            let result = try TestSupport.run(openssl, ["dgst", digest, "-mac", "HMAC", "-macopt", "hexkey:\(hexKey)", "-binary"],
                                 input: Array(signingInput.utf8))
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stdoutBytes.count, algorithm.outputSize)  // raw MAC bytes (-binary)
            let token = signingInput + "." + TokenIssuer.encode(result.stdoutBytes)
            let keys = try KeySet(keys: [key, randomKey(kid: "other")])
            let verifier = TokenVerifier(policy: TokenPolicy(exposedClaims: ["role"]))
            let verified = try verifier.verify(token, keys: keys, now: now).get()
            XCTAssertEqual(verified.subject, "openssl-user")
            XCTAssertEqual(verified.attributes, [Attribute("role", "ops")])
        }
    }
}
