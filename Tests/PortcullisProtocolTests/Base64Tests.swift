import PortcullisProtocol
import XCTest

/// The strict decoder's two entry points (any collection of bytes, bytes already in memory, which
/// hmac's verifier uses) give the same answers, valid or not.
final class Base64Tests: XCTestCase {
    func testBufferDecoderMatchesTheGenericDecoder() {
        let symbols = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.".utf8)
        var differences = 0
        for round in 0..<20_000 {
            let length = round % 13
            var text = (0..<length).map { _ in symbols[Int.random(in: 0..<symbols.count)] }
            if round % 3 == 0 {  // mostly valid input: an encoding, sometimes with a tweak
                let bytes = (0..<(round % 10)).map { _ in UInt8.random(in: 0...255) }
                text = Array(Base64.encode(bytes, alphabet: round % 2 == 0 ? .url : .standard, padding: round % 4 == 0 ? .required : .forbidden).utf8)
                if round % 5 == 0, !text.isEmpty { text[text.count - 1] = symbols[Int.random(in: 0..<symbols.count)] }
            }
            for alphabet in [Base64.Alphabet.url, .standard] {
                for padding in [Base64.Padding.forbidden, .required] {
                    let generic = Base64.decode(text, alphabet: alphabet, padding: padding)
                    let buffer = text.withUnsafeBytes { Base64.decode($0, alphabet: alphabet, padding: padding) }
                    if generic != buffer { differences += 1 }
                }
            }
        }
        XCTAssertEqual(differences, 0)
        XCTAssertEqual(Array("abc".utf8).withUnsafeBytes { Base64.decode($0, alphabet: .url, padding: .forbidden) }, [105, 183])
        XCTAssertNil(Array("abd".utf8).withUnsafeBytes { Base64.decode($0, alphabet: .url, padding: .forbidden) }, "spare bits set")
    }
}

/// The one decoder against RFC 4648's own vectors (§10) and its rules (§3.3, §3.5, §4, §5).
final class Base64VectorTests: XCTestCase {
    func testRFC4648Vectors() {
        let vectors = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8), alphabet: .standard, padding: .required), encoded)
            XCTAssertEqual(Base64.decode(Array(encoded.utf8), alphabet: .standard, padding: .required), Array(plain.utf8), encoded)
            let unpadded = encoded.filter { $0 != "=" }
            XCTAssertEqual(Base64.decode(Array(unpadded.utf8), alphabet: .url, padding: .forbidden), Array(plain.utf8), unpadded)
        }
    }

    func testTheRulesAreStrict() {
        func decode(_ text: String, _ alphabet: Base64.Alphabet = .standard, _ padding: Base64.Padding = .required) -> [UInt8]? {
            Base64.decode(Array(text.utf8), alphabet: alphabet, padding: padding)
        }
        XCTAssertEqual(decode("+/+/", .standard), [0xFB, 0xFF, 0xBF])
        XCTAssertEqual(decode("-_-_", .url, .forbidden), [0xFB, 0xFF, 0xBF])
        XCTAssertNil(decode("-_-_", .standard), "the URL alphabet is not the standard one")
        XCTAssertNil(decode("+/+/", .url, .forbidden), "nor the other way round")
        XCTAssertNil(decode("Zg"), "padding required")
        XCTAssertNil(decode("Zg=", .standard), "padding incomplete")
        XCTAssertNil(decode("Zg===", .standard), "padding too long")
        XCTAssertNil(decode("Zg==", .url, .forbidden), "padding forbidden")
        XCTAssertNil(decode("Zm9v Yg=="), "no whitespace")
        XCTAssertNil(decode("Zg==Zg=="), "padding only at the end")
        XCTAssertNil(decode("Zh=="), "non-canonical trailing bits")
        XCTAssertNil(decode("Z", .url, .forbidden), "one symbol makes no byte")
    }
}
