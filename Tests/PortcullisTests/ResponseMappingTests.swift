import Foundation
import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// The outcome → HTTP mapping: statuses, every challenge, the problem body, upstream headers.
final class ResponseMappingTests: XCTestCase {
    let basic = #"Basic realm="api", charset="UTF-8""#
    let bearer = #"Bearer realm="api""#

    func gatekeeper(status: String = "", entries: [(verdict: String, reason: String?, challenge: String?)], control: String = "required") throws -> Gatekeeper {
        var toml = status
        for entry in entries {
            toml += "\n[[stack.default]]\nplugin = \"debug\"\ncontrol = \"\(control)\"\nresult = \"\(entry.verdict)\"\n"
            if let reason = entry.reason { toml += "reason = \"\(reason)\"\n" }
            if let challenge = entry.challenge { toml += "challenge = '\(challenge)'\n" }
        }
        return try TestSupport.gatekeeper(toml)
    }

    func respond(_ gatekeeper: Gatekeeper, headers: [(String, String)] = []) -> (Outcome, AuthResponse) {
        let outcome = gatekeeper.evaluate(AuthRequest(headers: headers, peer: IPAddress("192.0.2.1")))
        return (outcome, gatekeeper.response(for: outcome))
    }

    func problem(_ response: AuthResponse) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    func testDefaultStatusForEveryReason() throws {
        for reason in ReasonCode.allCases {
            let gatekeeper = try gatekeeper(entries: [("deny", reason.code, basic)])
            let (outcome, response) = respond(gatekeeper)
            let expected: Int = switch reason {
            case .ipNotAllowed, .csrfFailed, .insufficientPermissions: 403
            case .pluginError: 500
            case .backendUnavailable: 503
            default: 401
            }
            XCTAssertEqual(outcome.reason, reason)
            XCTAssertEqual(response.status, expected, reason.code)
            XCTAssertEqual(response.value(of: "Content-Type"), "application/problem+json")
            let body = try problem(response)
            XCTAssertEqual(body["reason"] as? String, reason.code)
            XCTAssertEqual(body["status"] as? Int, expected)
            XCTAssertEqual(body["detail"] as? String, ResponsePolicy.safeMessage(for: reason))
            XCTAssertEqual(body["type"] as? String, "about:blank")
            XCTAssertEqual(response.value(of: "WWW-Authenticate") != nil, expected == 401, reason.code)
        }
    }

    /// Every challenge from the entries that ran, in stack order, in one 401.
    func testA401CarriesEveryChallengeOffered() throws {
        let gatekeeper = try gatekeeper(entries: [("ignore", nil, bearer), ("ignore", nil, basic)], control: "sufficient")
        let (outcome, response) = respond(gatekeeper)
        XCTAssertEqual(outcome.reason, .missingCredentials)
        XCTAssertEqual(outcome.challenges, [bearer, basic])
        XCTAssertEqual(response.status, 401)
        XCTAssertEqual(response.value(of: "WWW-Authenticate"), "\(bearer), \(basic)")
    }

    /// RFC 9110 §15.5.2: a 401 must carry a challenge. Without one, credentials cannot help: 403.
    func testA401WithoutAnyChallengeBecomes403() throws {
        let (outcome, response) = respond(try gatekeeper(entries: [("deny", "invalid_credentials", nil)]))
        XCTAssertEqual(outcome.reason, .invalidCredentials)
        XCTAssertEqual(response.status, 403)
        XCTAssertNil(response.value(of: "WWW-Authenticate"))
    }

    /// RFC 6750 §3.1: invalid_request is a 400.
    func testMalformedBearerWithInvalidRequestIs400() throws {
        let challenge = #"Bearer realm="api", error="invalid_request""#
        let (_, response) = respond(try gatekeeper(entries: [("deny", "malformed_credentials", challenge)]))
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(response.value(of: "WWW-Authenticate"), nil, "only a 401 carries WWW-Authenticate")
    }

    func testStatusOverridesFromConfig() throws {
        let gatekeeper = try gatekeeper(status: "[status]\nip_not_allowed = 401\nlocked_out = 429\n",
                                        entries: [("deny", "ip_not_allowed", basic)])
        XCTAssertEqual(respond(gatekeeper).1.status, 401)
        let locked = try self.gatekeeper(status: "[status]\nlocked_out = 429\n", entries: [("deny", "locked_out", basic)])
        XCTAssertEqual(respond(locked).1.status, 429)
    }

    func testAllowPassesPrincipalAndAttributesUpstream() throws {
        let gatekeeper = try TestSupport.gatekeeper("""
            [response]
            principal_header = "X-Remote-User"
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "$user"
            echo = true
            """)
        let (outcome, response) = respond(gatekeeper, headers: [("Authorization", .basic("dora", "pw"))])
        XCTAssertEqual(outcome.status, 200)
        XCTAssertEqual(response.value(of: "X-Remote-User"), "dora")
        XCTAssertEqual(response.value(of: "X-Auth-Credential"), "basic")
        XCTAssertEqual(response.value(of: "X-Auth-Client"), "192.0.2.1")
        XCTAssertTrue(response.body.isEmpty)
    }

    /// The password never reaches the outcome, its trace, the response or the CLI's JSON.
    func testNoSecretInOutcomeOrResponse() throws {
        let secret = "s3cr3t-Pa55"
        let gatekeeper = try gatekeeper(entries: [("deny", "invalid_credentials", basic)])
        let (outcome, response) = respond(gatekeeper, headers: [("Authorization", .basic("erin", secret))])
        let everything = "\(outcome)" + String(decoding: response.body, as: UTF8.self) + response.headers.map { "\($0)" }.joined()
        XCTAssertFalse(everything.contains(secret))
        XCTAssertFalse(everything.contains(Data("erin:\(secret)".utf8).base64EncodedString()))
        XCTAssertEqual(outcome.credential.description, #"Basic user="erin""#)
    }

    func testJSONTextEscapes() {
        XCTAssertEqual(JSONText.string("a\"b\\c\n\u{1}é"), #""a\"b\\c\n\u0001é""#)
        XCTAssertEqual(JSONText.string("del\u{7F}"), #""del\u007f""#, "the same escaper as the plugins' (JSONString)")
    }
}
