import Portcullis
import XCTest

/// The one function every request-derived value goes through before it is logged or printed.
final class LogTextTests: XCTestCase {
    func testControlCharactersAreEscaped() {
        XCTAssertEqual(LogText.escaped("alice"), "alice")
        XCTAssertEqual(LogText.escaped("a\nb\r\tc\u{1B}[31m"), #"a\nb\r\tc\u{1B}[31m"#)
        XCTAssertEqual(LogText.escaped("a\u{85}b\u{2028}c\u{202E}d"), #"a\u{85}b\u{2028}c\u{202E}d"#)
        XCTAssertEqual(LogText.escaped(#"a\nb"#), #"a\\nb"#, "a literal backslash cannot pass for an escape")
        XCTAssertEqual(LogText.escaped("zoë 名前"), "zoë 名前", "printable Unicode stays")
    }

    func testLongValuesAreCutAtTheLimitAndSaySo() {
        let long = String(repeating: "u", count: 59_000)
        XCTAssertEqual(LogText.escaped(long), String(repeating: "u", count: 256) + "…(truncated, 59000 bytes)")
        XCTAssertEqual(LogText.escaped(String(repeating: "u", count: 256)), String(repeating: "u", count: 256), "at the limit: whole")
        // Never cut inside a character or an escape.
        let accented = String(repeating: "é", count: 200)  // 400 bytes
        XCTAssertEqual(LogText.escaped(accented), String(repeating: "é", count: 128) + "…(truncated, 400 bytes)")
        let breaks = String(repeating: "\n", count: 200)
        XCTAssertEqual(LogText.escaped(breaks), String(repeating: #"\n"#, count: 128) + "…(truncated, 200 bytes)")
    }
}
