import PortcullisPluginKit
import XCTest

/// Paths are matched as the upstream will serve them: every spelling of `/admin/x` is `/admin/x`,
/// and what could be read two ways is refused.
final class RequestPathTests: XCTestCase {
    func testSpellingsOfOnePathNormalizeToIt() throws {
        for target in [
            "/admin/x", "/admin/../admin/x", "//admin/x", "/%61dmin/x", "/admin;jsessionid=1/x", "/admin/x?y",
            "/admin/./x", "/admin//x", "/admin/x#frag", "http://example.com/admin/x", "HTTPS://example.com/admin/x?q",
            "/a/b/../../admin/x", "/admin;a=1;b=2/x;c", "/%2e/admin/x",
        ] {
            XCTAssertEqual(try RequestPath(target: target).text, "/admin/x", target)
        }
    }

    func testTrailingSlashesAndTheRootAreKept() throws {
        XCTAssertEqual(try RequestPath(target: "/admin/").text, "/admin/")
        XCTAssertEqual(try RequestPath(target: "/admin/x/..").text, "/admin/")
        XCTAssertEqual(try RequestPath(target: "/admin/.").text, "/admin/")
        XCTAssertEqual(try RequestPath(target: "/admin/..").text, "/")
        XCTAssertEqual(try RequestPath(target: "/").text, "/")
        XCTAssertEqual(try RequestPath(target: "//").text, "/")
        XCTAssertEqual(try RequestPath(target: "http://example.com").text, "/")
        XCTAssertEqual(try RequestPath(target: "/").segments, [])
        XCTAssertEqual(try RequestPath(target: "/admin/x/").segments, ["admin", "x", ""])
    }

    /// Reserved escapes stay escaped (with upper-case hex): `%3B` is data, not a parameter.
    func testOtherEscapesAreKeptInOneCase() throws {
        XCTAssertEqual(try RequestPath(target: "/a%3bb/c%20d").text, "/a%3Bb/c%20d")
        XCTAssertEqual(try RequestPath(target: "/%252e%252e/admin").text, "/%252e%252e/admin", "decoded once, as the upstream does")
        XCTAssertEqual(try RequestPath(target: "/caf%C3%A9/ü").text, "/caf%C3%A9/ü")
    }

    func testAmbiguousPathsAreRefused() {
        let refused: [(String, RequestPathError)] = [
            ("/admin%2fx", .encodedSlash), ("/admin%2Fx", .encodedSlash), ("/%2e%2e/admin", .climbsAboveRoot),
            ("/../admin", .climbsAboveRoot), ("/a/../../admin", .climbsAboveRoot), ("/a/%00", .encodedNUL),
            ("/%zz", .badPercentEncoding), ("/a%2", .badPercentEncoding), ("/a%", .badPercentEncoding),
            ("/a\\b", .backslash), ("/a%5cb", .backslash), ("/a\u{1}b", .controlCharacter), ("/a\u{7F}", .controlCharacter),
            ("*", .notAPath), ("", .notAPath), ("?q", .notAPath), ("admin/x", .notAPath), ("ftp://host/x", .notAPath),
        ]
        for (target, expected) in refused {
            XCTAssertThrowsError(try RequestPath(target: target), target.debugDescription) { error in
                XCTAssertEqual(error as? RequestPathError, expected, target.debugDescription)
            }
        }
    }

    /// Plain paths take a one-pass shortcut; everything near its edges must come out as the full
    /// normalization says (these would be wrong if the shortcut accepted them).
    func testTheShortcutsEdges() throws {
        let expected: [(String, String)] = [
            ("/a/b", "/a/b"), ("/a/b/", "/a/b/"), ("/", "/"), ("/a?x//y", "/a"), ("/a#..", "/a"), ("/.a/..b/...", "/.a/..b/..."),
            ("/a/.", "/a/"), ("/a/..", "/"), ("/a//b", "/a/b"), ("//", "/"), ("/a/./b", "/a/b"), ("/a;p", "/a"), ("/%41", "/A"),
            ("/ü/ß", "/ü/ß"), ("/a/b/..?q", "/a/"),
        ]
        for (target, normalized) in expected {
            XCTAssertEqual(try RequestPath(target: target).text, normalized, target)
        }
        for refused in ["/a\\b", "/a\u{7F}", "/a\tb", "/.."] {
            XCTAssertThrowsError(try RequestPath(target: refused), refused.debugDescription)
        }
    }

    /// Normalizing a normalized path changes nothing.
    func testNormalizingIsIdempotent() throws {
        for target in ["/admin/../admin/x/", "//a//b/", "/%61%62/%3b", "/a;b/./c/..", "/", "/x/%7E"] {
            let once = try RequestPath(target: target)
            XCTAssertEqual(try RequestPath(target: once.text), once, target)
        }
    }
}

final class PathPatternTests: XCTestCase {
    private func matches(_ pattern: String, _ target: String, file: StaticString = #filePath, line: UInt = #line) throws -> Bool {
        try PathPattern(pattern).matches(RequestPath(target: target))
    }

    func testDoubleStarMatchesTheDirectoryAndEverythingBeneathIt() throws {
        for target in ["/admin", "/admin/", "/admin/x", "/admin/x/y/z", "/admin/../admin/x", "//admin/x", "/%61dmin/x",
                       "/admin;jsessionid=1/x", "/admin/x?y"] {
            XCTAssertTrue(try matches("/admin/**", target), target)
        }
        for target in ["/administrator", "/admin2/x", "/", "/api/admin/x"] {
            XCTAssertFalse(try matches("/admin/**", target), target)
        }
        XCTAssertTrue(try matches("/**", "/anything/at/all"))
        XCTAssertTrue(try matches("/**", "/"))
        XCTAssertTrue(try matches("/a/**/z", "/a/z"))
        XCTAssertTrue(try matches("/a/**/z", "/a/b/c/z"))
        XCTAssertFalse(try matches("/a/**/z", "/a/b/c/zz"))
    }

    func testExactPatternsMatchOnlyThemselves() throws {
        XCTAssertTrue(try matches("/hooks/github", "/hooks/github"))
        XCTAssertTrue(try matches("/hooks/github", "/hooks/github?x=1"))
        XCTAssertFalse(try matches("/hooks/github", "/hooks/github/"))
        XCTAssertFalse(try matches("/hooks/github", "/hooks/githubx"))
        XCTAssertFalse(try matches("/hooks/github", "/hooks"))
    }

    func testStarStaysWithinOneSegment() throws {
        XCTAssertTrue(try matches("/api/*/items", "/api/v1/items"))
        XCTAssertFalse(try matches("/api/*/items", "/api/v1/x/items"))
        XCTAssertTrue(try matches("/files/*.txt", "/files/a.txt"))
        XCTAssertTrue(try matches("/files/*.txt", "/files/.txt"))
        XCTAssertFalse(try matches("/files/*.txt", "/files/a.txt.gz"))
        XCTAssertTrue(try matches("/v*/a*b*c", "/v2/aXbYc"))
        XCTAssertFalse(try matches("/v*/a*b*c", "/v2/aXcYb"))
        XCTAssertTrue(try matches("/x/*", "/x/anything"))
        XCTAssertFalse(try matches("/x/*", "/x/a/b"))
    }

    func testBadPatternsAreRefusedWithTheirText() {
        for pattern in ["admin/**", "/admin/a**", "/admin?x", "/%zz", "/../x", ""] {
            XCTAssertThrowsError(try PathPattern(pattern), pattern) { error in
                XCTAssertTrue("\(error)".hasPrefix("path pattern '\(pattern)'"), "\(error)")
            }
        }
    }
}
