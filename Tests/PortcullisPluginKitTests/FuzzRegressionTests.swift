import PortcullisPluginKit
import XCTest

/// Inputs the path fuzzer (Tests/Fuzz/Targets/path.swift) found, kept so they stay fixed.
final class PathFuzzRegressionTests: XCTestCase {
    /// A combining mark right after a '/' (raw UTF-8 in the target) made one Character of the two:
    /// `segments`, split on Characters, lost that slash and joined two segments into one.
    func testACombiningMarkAfterASlashStillSeparatesSegments() throws {
        let path = try RequestPath(target: "//\u{35D}w")
        XCTAssertEqual(path.text, "/\u{35D}w")
        XCTAssertEqual(path.segments, ["\u{35D}w"])
        XCTAssertEqual(try RequestPath(target: "/files/\u{301}x/delete").segments, ["files", "\u{301}x", "delete"])
        // So a pattern with a wildcard segment matches it as the upstream reads it.
        XCTAssertTrue(try PathPattern("/files/*/delete").matches(RequestPath(target: "/files/\u{301}x/delete")))
        XCTAssertTrue(try PathPattern("/**/delete").matches(RequestPath(target: "/a/\u{301}/delete")))
    }

    /// The same with a pattern (found by CI's fuzz run): `////\u{6E7}` normalizes to `/\u{6E7}`,
    /// whose first Character is not "/", so the pattern's own text was refused as a pattern.
    /// PathPattern now checks `/`, `?`, `#` and `**` on bytes.
    func testAPatternStartingWithACombiningMarkIsItsOwnPattern() throws {
        let pattern = try PathPattern("////\u{6E7}")
        XCTAssertEqual(pattern.text, "/\u{6E7}")
        XCTAssertEqual(try PathPattern(pattern.text).text, pattern.text)
        XCTAssertTrue(pattern.matches(try RequestPath(target: "/\u{6E7}")))
        // A '?' or '#' hidden in a Character with a combining mark is still refused.
        XCTAssertThrowsError(try PathPattern("/admin?\u{301}"))
        XCTAssertThrowsError(try PathPattern("/admin#\u{301}"))
        // And '**' followed by a mark is '**' inside a segment.
        XCTAssertThrowsError(try PathPattern("/a/**\u{301}"))
        XCTAssertTrue(try PathPattern("/a/*\u{301}").matches(RequestPath(target: "/a/x\u{301}")))
    }
}
