import Foundation
import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// `Authorization` parsing (RFC 7617, RFC 6750) with well-formed and hostile input.
final class AuthorizationParserTests: XCTestCase {
    func parse(_ value: String) -> Credential { AuthorizationParser.parse(value) }

    func testBasicSplitsOnTheFirstColonAndKeepsBytes() {
        let credential = parse(.basic("alice", "pa:ss:word"))
        XCTAssertEqual(credential.kind, .basic)
        XCTAssertEqual(credential.user, Array("alice".utf8))
        XCTAssertEqual(credential.password, Array("pa:ss:word".utf8))
    }

    func testBasicUTF8AndRawBytes() {
        let utf8 = parse(.basic("zoë", "pässwörd"))
        XCTAssertEqual(String(decoding: utf8.user, as: UTF8.self), "zoë")
        XCTAssertEqual(utf8.password, Array("pässwörd".utf8))
        // Latin-1 bytes (not UTF-8) stay as they are: never replaced, so never confused.
        let latin1 = "Basic " + Data([0x62, 0x6F, 0x62, 0x3A, 0xE9, 0xFF]).base64EncodedString()
        XCTAssertEqual(parse(latin1).password, [0xE9, 0xFF])
    }

    func testSchemeIsCaseInsensitive() {
        XCTAssertEqual(parse("bAsIc " + Data("a:b".utf8).base64EncodedString()).kind, .basic)
        XCTAssertEqual(parse("bearer abc.def-ghi_~+/==").kind, .bearer)
        XCTAssertEqual(parse("BEARER tok").token, Array("tok".utf8))
    }

    func testMalformedBasic() {
        for value in ["Basic", "Basic ", "Basic !!!!", "Basic YWxpY2U=" /* no colon */, "Basic YWxpY2U6cHc" /* no padding */,
                      "Basic YWxp Y2U6cHc=", "Basic " + Data("a\u{0}:b".utf8).base64EncodedString(),
                      "Basic " + Data("a:b\n".utf8).base64EncodedString(), "Basic YR==" /* non-canonical bits */] {
            let credential = parse(value)
            XCTAssertEqual(credential.kind, .malformed, value)
            XCTAssertEqual(credential.scheme.lowercased(), "basic", value)
            XCTAssertTrue(credential.password.isEmpty)
        }
    }

    func testMalformedBearerAndSchemes() {
        XCTAssertEqual(parse("Bearer").kind, .malformed)
        XCTAssertEqual(parse("Bearer a b").kind, .malformed)
        XCTAssertEqual(parse("Bearer ab=cd").kind, .malformed)
        XCTAssertEqual(parse("").kind, .malformed)
        XCTAssertEqual(parse("(weird) x").kind, .malformed)
        XCTAssertEqual(parse("Digest username=\"x\"").kind, .other)
    }

    /// A token sent without a scheme parses as an unknown scheme; it must never be shown.
    func testBareTokenIsNeverShown() throws {
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
        let gatekeeper = try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "debug"
            control = "sufficient"
            result = "ignore"
            """)
        let outcome = gatekeeper.evaluate(AuthRequest(headers: [("Authorization", token)], peer: IPAddress("192.0.2.9")))
        XCTAssertEqual(outcome.reason, .unsupportedScheme)
        for text in [outcome.credential.description, outcome.note ?? "", "\(outcome)"] {
            XCTAssertFalse(text.contains("eyJhbGci"), text)
        }
        XCTAssertEqual(outcome.credential.description, "an unrecognized Authorization value (\(token.utf8.count) bytes)")
        XCTAssertEqual(parse("Negotiate abc").summary.description, "Negotiate (unsupported here, 13 bytes)")
    }

    /// A short bare secret looks like a scheme name: only registered scheme names are shown.
    func testOnlyRegisteredSchemeNamesAreShown() {
        XCTAssertEqual(parse("hunterhunter").summary.description, "an unrecognized Authorization value (12 bytes)")
        XCTAssertEqual(parse("correct horse").summary.description, "an unrecognized Authorization value (13 bytes)")
        XCTAssertEqual(parse("digest username=\"x\"").summary.description, "digest (unsupported here, 19 bytes)")
        XCTAssertEqual(parse(String.basic("a\u{85}b", "pw")).summary.description, #"Basic user="a\u{85}b""#)
    }

    func testTwoAuthorizationHeadersAreMalformed() {
        let request = AuthRequest(headers: [("Authorization", "Bearer a"), ("authorization", "Bearer b")], peer: nil)
        XCTAssertEqual(AuthorizationParser.parse(request).kind, .malformed)
        XCTAssertEqual(AuthorizationParser.parse(AuthRequest(peer: nil)).kind, .none)
    }

    /// Random and mutated input never crashes and never yields a credential from garbage.
    func testHostileInputNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        let seeds = [String.basic("user", "pw"), "Bearer abc", "Basic ", "Bearer ="]
        for round in 0..<20_000 {
            var bytes = Array(seeds[round % seeds.count].utf8)
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0...bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: position)
                case 1 where position < bytes.count: bytes.remove(at: position)
                default: bytes.append(contentsOf: (0..<Int.random(in: 0...8, using: &generator)).map { _ in UInt8.random(in: 0...255) })
                }
            }
            let credential = parse(String(decoding: bytes, as: UTF8.self))
            if credential.kind == .basic { XCTAssertFalse(credential.user.contains { $0 < 0x20 }) }
        }
    }

    /// Through the stack: a malformed header is a deny with the right reason, not a crash.
    func testMalformedHeaderThroughTheStack() throws {
        let gatekeeper = try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "debug"
            control = "sufficient"
            result = "ignore"
            challenge = 'Basic realm="x"'
            """)
        let outcome = gatekeeper.evaluate(AuthRequest(headers: [("Authorization", "Basic %%%")], peer: IPAddress("192.0.2.9")))
        XCTAssertEqual(outcome.decision, .deny)
        XCTAssertEqual(outcome.reason, .malformedCredentials)
        XCTAssertEqual(outcome.status, 401)
        // A scheme no entry consumes.
        let digest = gatekeeper.evaluate(AuthRequest(headers: [("Authorization", "Digest x=1")], peer: IPAddress("192.0.2.9")))
        XCTAssertEqual(digest.reason, .unsupportedScheme)
        XCTAssertEqual(digest.status, 401)
    }
}
