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
