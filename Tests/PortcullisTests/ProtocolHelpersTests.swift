import PortcullisProtocol
import XCTest

/// The small helpers host and plugins share from PortcullisProtocol: one JSON string escaper,
/// one set of `Duration` conversions, one ASCII case-insensitive comparison.
final class ProtocolHelpersTests: XCTestCase {
    /// RFC 8259 §7: quotes, backslashes and U+0000…U+001F must be escaped; DEL need not be, and is
    /// (as `\u007f`: a control character a terminal may act on).
    func testJSONStringEscapes() {
        XCTAssertEqual(JSONString.quoted("a\"b\\c\n\r\t\u{1}\u{1F}é"), #""a\"b\\c\n\r\t\u0001\u001fé""#)
        XCTAssertEqual(JSONString.quoted("del\u{7F}"), #""del\u007f""#)
        XCTAssertEqual(JSONString.quoted("~ \u{80} \u{2028} 😀"), "\"~ \u{80} \u{2028} 😀\"", "everything else is written as it is")
        var output = "["
        JSONString.write("x", to: &output)
        XCTAssertEqual(output, #"["x""#)
    }

    func testDurationUnitsTruncateTowardZero() {
        let duration = Duration.seconds(2) + .nanoseconds(345_678_901)
        XCTAssertEqual(duration.nanoseconds, 2_345_678_901)
        XCTAssertEqual(duration.microseconds, 2_345_678)
        XCTAssertEqual(duration.milliseconds, 2_345)
        XCTAssertEqual(duration.seconds, 2.345678901, accuracy: 1e-12)
        XCTAssertEqual(Duration.milliseconds(-1500).milliseconds, -1500)
        XCTAssertEqual(Duration.microseconds(-1).milliseconds, 0)
        XCTAssertEqual(Duration.zero.nanoseconds, 0)
        XCTAssertEqual(Duration.seconds(-0.25).seconds, -0.25)
    }

    func testDurationUnitsSaturate() {
        let long = Duration.seconds(Int64.max)
        XCTAssertEqual(long.nanoseconds, .max)
        XCTAssertEqual(long.microseconds, .max)
        XCTAssertEqual(long.milliseconds, .max)
        XCTAssertEqual(Duration.seconds(Int64.min).nanoseconds, .min)
        XCTAssertEqual(Duration.seconds(9_223_372_036).nanoseconds, 9_223_372_036_000_000_000, "just below the bound")
    }

    /// RFC 9110: header names and schemes compare ASCII case-insensitively; nothing else folds.
    func testASCIICaseInsensitiveComparison() {
        XCTAssertTrue("Authorization".equalsIgnoringASCIICase("authorization"))
        XCTAssertTrue("X-AUTH-USER".equalsIgnoringASCIICase("x-auth-user"[...]))
        XCTAssertFalse("Basic".equalsIgnoringASCIICase("Basi"))
        XCTAssertFalse("@".equalsIgnoringASCIICase("`"), "0x40 and 0x60 differ only in bit 5, but are no letters")
        XCTAssertFalse("[".equalsIgnoringASCIICase("{"))
        XCTAssertFalse("é".equalsIgnoringASCIICase("É"), "no Unicode folding")
        XCTAssertFalse("k".equalsIgnoringASCIICase("\u{212A}"), "the Kelvin sign is no k")
        XCTAssertTrue(ASCIICaseInsensitive.equal(Array("Bearer".utf8), "bEARER".utf8))
    }

    /// The contiguous fast path (native strings, arrays) and the iterator path (any other
    /// collection) agree on every pair, byte for byte.
    func testASCIICaseInsensitiveFastPathAgreesWithTheGeneralOne() {
        let words = ["Authorization", "authorization", "AUTHORIZATION", "Authorizatio", "X-Forwarded-For", "x-forwarded-for",
                     "@", "`", "[", "{", "é", "É", "k", "\u{212A}", "", "Basic", "basic ", "Host"]
        for a in words {
            for b in words {
                let fast = ASCIICaseInsensitive.equal(Array(a.utf8), Array(b.utf8))
                let general = ASCIICaseInsensitive.equal(a.utf8.lazy.map { $0 }, b.utf8.lazy.map { $0 })
                XCTAssertEqual(fast, general, "\(a) vs \(b)")
                XCTAssertEqual(a.equalsIgnoringASCIICase(b), general, "\(a) vs \(b)")
                XCTAssertEqual(general, a.lowercased() == b.lowercased() && a.utf8.allSatisfy { $0 < 0x80 } && b.utf8.allSatisfy { $0 < 0x80 } || a == b,
                               "\(a) vs \(b)")
            }
        }
    }
}
