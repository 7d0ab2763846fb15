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
}
