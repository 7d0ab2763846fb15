import PortcullisCrypto
import XCTest

final class ConstantTimeTests: XCTestCase {
    func testEqualOnlyForTheSameBytes() {
        let stored = Array("$2y$10$abcdefghijklmnopqrstuv".utf8)
        XCTAssertTrue(constantTimeEquals(stored, stored))
        XCTAssertTrue(constantTimeEquals(stored[...], Array(stored)), "a slice and an array of the same bytes")
        XCTAssertTrue(constantTimeEquals([UInt8](), [UInt8]()))
        for index in stored.indices {
            var changed = stored
            changed[index] ^= 0x01
            XCTAssertFalse(constantTimeEquals(changed, stored), "byte \(index) differs")
        }
        XCTAssertFalse(constantTimeEquals(stored.dropLast(), stored), "a prefix is not equal")
        XCTAssertFalse(constantTimeEquals(stored + [0], stored), "a longer string is not equal")
    }
}
