import Foundation
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

@testable import CryptPlugin

/// Parsing: comments, blank lines, malformed lines reported with their line numbers, load errors,
/// arguments, and the dummy hash for unknown users.
final class PasswordFileTests: XCTestCase {
    func testMalformedLinesAreSkippedWithTheirLineNumbers() throws {
        let hash = firstLine(try runTool("openssl", ["passwd", "-5", "-stdin"], input: Array("pw\n".utf8)))
        let contents = "# users\n\n   \nalice:\(hash)\r\nnocolon\n:\(hash)\nbob:notahash\nalice:\(hash)\n\u{FF}x:\(hash)\n  # indented comment\ncarol:\(hash):extra field\n"
        let bytes = Array(contents.utf8).map { $0 == 0xC3 ? 0xFF : $0 }  // make line 9's user invalid UTF-8
        let file = try PasswordFile(path: "users.htpasswd", contents: bytes, format: nil, allowPlaintext: false)
        XCTAssertEqual(file.format, .htpasswd)
        XCTAssertEqual(Set(file.entries.keys.map { String(decoding: $0, as: UTF8.self) }), ["alice", "carol"])
        XCTAssertEqual(file.problems.count, 5, "\(file.problems)")
        XCTAssertTrue(file.problems[0].hasPrefix("users.htpasswd:5: expected user:hash"), file.problems[0])
        XCTAssertTrue(file.problems[1].hasPrefix("users.htpasswd:6: the user name is empty"), file.problems[1])
        XCTAssertTrue(file.problems[2].hasPrefix("users.htpasswd:7: unrecognised password hash for user 'bob'"), file.problems[2])
        XCTAssertTrue(file.problems[3].hasPrefix("users.htpasswd:8: user 'alice' appears again"), file.problems[3])
        XCTAssertTrue(file.problems[4].hasPrefix("users.htpasswd:9: the user name is empty or not UTF-8"), file.problems[4])
        for problem in file.problems { XCTAssertFalse(problem.contains(hash), "no hash in logs") }
    }

    func testLoadErrorsAndArguments() throws {
        let directory = try TestSupport.temporaryDirectoryURL(self)
        XCTAssertThrowsError(try makePlugin([("file", directory.appendingPathComponent("missing").path)])) { error in
            XCTAssertTrue("\(error)".contains("missing: cannot open"), "\(error)")
        }
        XCTAssertThrowsError(try makePlugin([("file", directory.path)])) { error in
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
        let path = try writeFile(self, ["a:{SHA}x"])
        XCTAssertThrowsError(try makePlugin([("file", path), ("format", "passwd")])) { error in
            XCTAssertTrue("\(error)".contains("'format' must be htpasswd, shadow or detect"), "\(error)")
        }
        XCTAssertThrowsError(try makePlugin([("file", path), ("hash", "md5")])) { error in
            XCTAssertTrue("\(error)".contains("unknown argument 'hash'"), "\(error)")
        }
        XCTAssertThrowsError(try makePlugin([]))
        XCTAssertThrowsError(try makePlugin([("file", path), ("realm", "a\nb")]))
        XCTAssertNoThrow(try makePlugin([("file", path), ("format", "detect"), ("allow_plaintext", "false")]))
    }

    func testDummyHashHasTheMostCommonSchemeAndCost() throws {
        var lines: [String] = []
        for user in ["a", "b", "c"] {
            lines.append(firstLine(try runTool("htpasswd", ["-n", "-i", "-B", "-C", "6", user], input: Array("pw".utf8))))
        }
        lines.append("d:" + firstLine(try runTool("openssl", ["passwd", "-6", "-stdin"], input: Array("pw\n".utf8))))
        lines.append("e:!")
        lines.append("f:*")
        let file = try PasswordFile(path: "f", contents: Array(lines.joined(separator: "\n").utf8), format: nil, allowPlaintext: false)
        XCTAssertEqual(file.dummy.costKey, "$2y$06$")
        XCTAssertFalse(file.dummy.verify(Array("pw".utf8)), "the dummy's password is random")

        let yescrypt = "$y$j9T$" + "F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7"
        let rounds = ["s1:$6$rounds=20000$abc$x", "s2:$6$rounds=20000$def$y", "y:\(yescrypt)"]
        let mixed = try PasswordFile(path: "f", contents: Array(rounds.joined(separator: "\n").utf8), format: nil, allowPlaintext: false)
        XCTAssertEqual(mixed.dummy.costKey, "$6$rounds=20000$")

        let empty = try PasswordFile(path: "f", contents: Array("# nobody\nlocked:!\n".utf8), format: nil, allowPlaintext: false)
        XCTAssertEqual(empty.dummy.schemeName, "yescrypt")
    }

    func testApacheMD5IsMD5CryptWithAnotherMagic() throws {
        // The same algorithm as libxcrypt's $1$: the hand-written code must agree with it.
        for password in ["", "a", "password", String(repeating: "long password ", count: 5), "päss:wörd"] {
            for salt in ["abcdefgh", "x", "./09AZaz"] {
                let ours = ApacheMD5.hash(Array(password.utf8), salt: Array(salt.utf8), magic: Array("$1$".utf8))
                let theirs = Libxcrypt.crypt(Array(password.utf8), setting: Array("$1$\(salt)$".utf8))
                XCTAssertEqual(ours, theirs, "password \(password.debugDescription) salt \(salt)")
            }
        }
    }
}
