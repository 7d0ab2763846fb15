import Crypto
import PortcullisCrypto
import XCTest

/// The HMAC composition of the hmac plugin and the cache keys against RFC 4231's vectors and swift-crypto's `HMAC`.
final class PrekeyedHMACTests: XCTestCase {
    private func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    private func mac<H: HashFunction>(_: H.Type, key: [UInt8], message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { input in
            PrekeyedHMAC<H>(key: SymmetricKey(data: key)).withAuthenticationCode(for: input) { Array($0) }
        }
    }

    /// RFC 4231 §4.2 (a short key), §4.3 (a key shorter than the MAC) and §4.7 (a 131-byte key,
    /// longer than every block, so it is hashed first).
    func testRFC4231Vectors() {
        let cases: [(key: [UInt8], message: [UInt8], sha256: String, sha384: String, sha512: String)] = [
            ([UInt8](repeating: 0x0B, count: 20), Array("Hi There".utf8),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
             "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
             "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"),
            (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
             "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
             "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"),
            ([UInt8](repeating: 0xAA, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
             "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
             "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"),
        ]
        for test in cases {
            XCTAssertEqual(mac(SHA256.self, key: test.key, message: test.message), hex(test.sha256))
            XCTAssertEqual(mac(SHA384.self, key: test.key, message: test.message), hex(test.sha384))
            XCTAssertEqual(mac(SHA512.self, key: test.key, message: test.message), hex(test.sha512))
        }
    }

    /// Every key length around the block sizes (64 and 128 bytes) and messages of every length
    /// around a block give swift-crypto's MAC, and `isValid` refuses any one bit changed.
    func testAgreesWithSwiftCryptoAroundEveryBlockBoundary() {
        var generator = SystemRandomNumberGenerator()
        for keyLength in [0, 1, 31, 32, 63, 64, 65, 127, 128, 129, 200] {
            let key = (0..<keyLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            for messageLength in [0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 323, 1000] {
                let message = (0..<messageLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
                let symmetric = SymmetricKey(data: key)
                let expected256 = Array(HMAC<SHA256>.authenticationCode(for: message, using: symmetric))
                XCTAssertEqual(mac(SHA256.self, key: key, message: message), expected256, "key \(keyLength), message \(messageLength)")
                XCTAssertEqual(mac(SHA384.self, key: key, message: message), Array(HMAC<SHA384>.authenticationCode(for: message, using: symmetric)))
                XCTAssertEqual(mac(SHA512.self, key: key, message: message), Array(HMAC<SHA512>.authenticationCode(for: message, using: symmetric)))

                let state = PrekeyedHMAC<SHA256>(key: symmetric)
                message.withUnsafeBytes { input in
                    XCTAssertTrue(state.isValid(expected256, for: input))
                    XCTAssertFalse(state.isValid(Array(expected256.dropLast()), for: input), "a short MAC")
                    for bit in [0, 7, 100, 255] {
                        var flipped = expected256
                        flipped[bit / 8] ^= 1 << (bit % 8)
                        XCTAssertFalse(state.isValid(flipped, for: input), "bit \(bit) flipped")
                    }
                }
            }
        }
    }
}
