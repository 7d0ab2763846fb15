import Crypto
import Foundation
import HmacPlugin
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

/// The JWKS format: what is accepted, what is refused at load, and what the errors say.
final class KeySetTests: XCTestCase {
    func load(_ text: String) throws -> KeySet { try KeySet(json: Array(text.utf8), file: "keys.jwks") }

    func assertRefused(_ text: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(text), file: file, line: line) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.hasPrefix("keys.jwks"), "\(message) should name the file", file: file, line: line)
            XCTAssertTrue(message.contains(fragment), "\(message) should mention \(fragment)", file: file, line: line)
        }
    }

    func key(_ bytes: Int) -> String { TokenIssuer.encode([UInt8](repeating: 0xA5, count: bytes)) }

    func testAValidSetLoads() throws {
        let keys = try load("""
            {"keys": [
              {"kty": "oct", "kid": "a", "alg": "HS256", "k": "\(key(32))", "use": "sig"},
              {"kty": "oct", "kid": "b", "alg": "HS384", "k": "\(key(48))"},
              {"kty": "oct", "kid": "c", "alg": "HS512", "k": "\(key(64))", "x-note": "ignored"}
            ]}
            """)
        XCTAssertEqual(keys.keys.map(\.kid), ["a", "b", "c"])
        XCTAssertEqual(keys.key(for: "b")?.algorithm, .hs384)
        XCTAssertNil(keys.key(for: nil), "no kid with three keys")
        XCTAssertNil(keys.key(for: "d"), "an unknown kid never falls back to another key")
    }

    func testKeysShorterThanTheHashAreRefused() {
        assertRefused(#"{"keys":[{"kty":"oct","kid":"a","alg":"HS256","k":"\#(key(31))"}]}"#, "needs at least 32")
        assertRefused(#"{"keys":[{"kty":"oct","kid":"a","alg":"HS384","k":"\#(key(47))"}]}"#, "needs at least 48")
        assertRefused(#"{"keys":[{"kty":"oct","kid":"a","alg":"HS512","k":"\#(key(63))"}]}"#, "needs at least 64")
    }

    func testEveryKeyNeedsKidAndAlg() {
        assertRefused(#"{"keys":[{"kty":"oct","alg":"HS256","k":"\#(key(32))"}]}"#, "kid")
        assertRefused(#"{"keys":[{"kty":"oct","kid":"","alg":"HS256","k":"\#(key(32))"}]}"#, "kid")
        assertRefused(#"{"keys":[{"kty":"oct","kid":"a","k":"\#(key(32))"}]}"#, "alg must be HS256, HS384 or HS512")
        assertRefused(#"{"keys":[{"kty":"oct","kid":"a","alg":"none","k":"\#(key(32))"}]}"#, "alg must be")
        assertRefused(#"{"keys":[{"kty":"oct","kid":"a","alg":"RS256","k":"\#(key(32))"}]}"#, "alg must be")
    }

    func testOtherMistakesAreRefused() {
        assertRefused(#"{"keys":[{"kty":"RSA","kid":"a","alg":"HS256","k":"\#(key(32))"}]}"#, "kty")
        assertRefused(#"{"keys":[{"kty":"oct","kid":"a","alg":"HS256","k":"\#(key(32))","use":"enc"}]}"#, "use")
        assertRefused(#"{"keys":[{"kty":"oct","kid":"a","alg":"HS256","k":"\#(key(32))="}]}"#, "base64url")
        assertRefused(#"{"keys":[{"kty":"oct","kid":"a","alg":"HS256","k":"\#(key(32))"},{"kty":"oct","kid":"a","alg":"HS256","k":"\#(key(32))"}]}"#, "appears twice")
        assertRefused(#"{"keys":[]}"#, "no keys")
        assertRefused(#"{"kty":"oct"}"#, "\"keys\" array")
        assertRefused("{\"keys\": [\n  {\"kty\": \"oct\",}\n]}", "keys.jwks:2:")  // line of the JSON error
    }

    func testErrorsNeverContainKeyMaterial() {
        let secret = key(20)
        XCTAssertThrowsError(try load(#"{"keys":[{"kty":"oct","kid":"a","alg":"HS256","k":"\#(secret)"}]}"#)) { error in
            XCTAssertFalse(String(describing: error).contains(secret))
        }
        let long = randomKey(kid: "x")
        XCTAssertFalse(String(describing: long).contains(TokenIssuer.encode(long.secret.withUnsafeBytes { Array($0) })))
    }

    func testAMissingFileIsAnError() {
        XCTAssertThrowsError(try KeySet(contentsOf: "/nonexistent/keys.jwks")) { error in
            XCTAssertTrue(String(describing: error).contains("/nonexistent/keys.jwks"))
        }
    }
}

/// The strict JSON reader behind headers, claims and key sets.
final class JSONValueTests: XCTestCase {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    func testValues() throws {
        XCTAssertEqual(try parse(#" {"a": [1, -2.5, 1e3, true, false, null, "x\"\u00e9\ud83d\ude00"]} "#),
                       .object(["a": .array([.number(1), .number(-2.5), .number(1000), .bool(true), .bool(false), .null, .string("x\"é😀")])]))
        XCTAssertEqual(try parse("1300819380"), .number(1_300_819_380))
        XCTAssertEqual(JSONValue.object(["b": .string("q\"\n"), "a": .number(1)]).serialized, #"{"a":1,"b":"q\"\n"}"#)
        // The host's escaper (JSONString): DEL written as \u007f, and read back as itself.
        let del = JSONValue.string("a\u{7F}\u{1}b").serialized
        XCTAssertEqual(del, #""a\u007f\u0001b""#)
        XCTAssertEqual(try parse(del), .string("a\u{7F}\u{1}b"))
    }

    func testStrictness() {
        for bad in ["", "{", "{\"a\":1,}", "[1,]", "01", "1.", "-", "+1", "{'a':1}", "\"\u{01}\"", "\"\\ud800\"", "\"\\x\"",
                    "{\"a\":1,\"a\":2}", "tru", "nul", "1 2", String(repeating: "[", count: 40) + String(repeating: "]", count: 40)] {
            XCTAssertThrowsError(try parse(bad), "\(bad) should be refused")
        }
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]), "invalid UTF-8")
    }
}
