import Foundation
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

@testable import CryptPlugin

/// Hash files made at test time by the real tools, verified by the plugin: right password allows
/// with the principal, wrong password and unknown user are `invalid_credentials`.
final class ToolGeneratedFileTests: XCTestCase {
    let password = "Tr0ub4dor&3 horse"
    let wrongPassword = "Tr0ub4dor&3 horsE"
    /// DES-based schemes use only 8 characters, so they get a short password.
    let shortPassword = "pw4des!"

    func testHtpasswdSchemes() throws {
        var lines: [String] = []
        for (flag, user) in [("-B", "bcrypt"), ("-m", "apr1"), ("-s", "sha1"), ("-5", "sha512"), ("-2", "sha256")] {
            let cost = flag == "-B" ? ["-C", "4"] : []
            lines.append(firstLine(try runTool("htpasswd", ["-n", "-i", flag] + cost + [user], input: Array(password.utf8))))
        }
        XCTAssertTrue(lines[0].hasPrefix("bcrypt:$2y$"), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("apr1:$apr1$"), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("sha1:{SHA}"), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("sha512:$6$"), lines[3])
        XCTAssertTrue(lines[4].hasPrefix("sha256:$5$"), lines[4])
        try assertVerifies(lines: lines, users: ["bcrypt", "apr1", "sha1", "sha512", "sha256"], password: password)
    }

    func testOpenSSLPasswdSchemes() throws {
        var lines: [String] = []
        for flag in ["-1", "-5", "-6", "-apr1"] {
            let hash = firstLine(try runTool("openssl", ["passwd", flag, "-stdin"], input: Array((password + "\n").utf8)))
            lines.append("openssl\(flag):\(hash)")
        }
        try assertVerifies(lines: lines, users: ["openssl-1", "openssl-5", "openssl-6", "openssl-apr1"], password: password)
    }

    func testMkpasswdSchemes() throws {
        let long = ["yescrypt", "gost-yescrypt", "scrypt", "bcrypt", "bcrypt-a", "sha512crypt", "sha256crypt", "md5crypt", "sunmd5", "nt"]
        let short = ["descrypt", "bsdicrypt"]
        var lines: [String] = []
        for method in long {
            lines.append("\(method):" + firstLine(try runTool("mkpasswd", ["-m", method, "--stdin"], input: Array(password.utf8))))
        }
        try assertVerifies(lines: lines, users: long, password: password)
        lines = []
        for method in short {
            lines.append("\(method):" + firstLine(try runTool("mkpasswd", ["-m", method, "--stdin"], input: Array(shortPassword.utf8))))
        }
        try assertVerifies(lines: lines, users: short, password: shortPassword)
    }

    func testPortcullisHashTool() throws {
        let tool = TestSupport.binDirectory + "/portcullis-hash"
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            return XCTFail("\(tool) not built: run `swift build --product portcullis-hash` (swift test builds it)")
        }
        var lines: [String] = []
        for (scheme, cost, prefix) in [("yescrypt", "5", "$y$j9T$"), ("bcrypt", "4", "$2b$04$"), ("sha512crypt", "1000", "$6$rounds=1000$")] {
            let line = firstLine(try runTool(tool, ["--scheme", scheme, "--cost", cost, "--user", "tool-\(scheme)"], input: Array((password + "\n").utf8)))
            XCTAssertTrue(line.hasPrefix("tool-\(scheme):\(prefix)"), line)
            lines.append(line)
        }
        // Defaults: yescrypt; never weak: bcrypt 12, sha512crypt 100000 rounds.
        XCTAssertTrue(try runTool(tool, [], input: Array(password.utf8)).hasPrefix("$y$j9T$"))
        XCTAssertTrue(try runTool(tool, ["--scheme", "bcrypt"], input: Array(password.utf8)).hasPrefix("$2b$12$"))
        XCTAssertTrue(try runTool(tool, ["--scheme", "sha512crypt"], input: Array(password.utf8)).hasPrefix("$6$rounds=100000$"))
        let plain = firstLine(try runTool(tool, ["--scheme", "bcrypt", "--cost", "4"], input: Array(password.utf8)))
        XCTAssertEqual(plain.split(separator: "$").count, 3, "without --user: only the hash")
        lines.append("tool-plain:\(plain)")
        try assertVerifies(lines: lines, users: ["tool-yescrypt", "tool-bcrypt", "tool-sha512crypt", "tool-plain"], password: password)

        XCTAssertThrowsError(try runTool(tool, ["--scheme", "bcrypt", "--cost", "3"], input: Array(password.utf8)))
        XCTAssertThrowsError(try runTool(tool, ["--scheme", "md5crypt"], input: Array(password.utf8)))
        XCTAssertThrowsError(try runTool(tool, ["--user", "a:b"], input: Array(password.utf8)))
        XCTAssertThrowsError(try runTool(tool, [], input: []), "an empty password is refused")
    }

    /// Every user allows with the right password and nothing else; an unknown user is refused the same way.
    private func assertVerifies(lines: [String], users: [String], password: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let recorder = LogRecorder()
        let plugin = try makePlugin([("file", try writeFile(self, lines))], log: recorder.log)
        XCTAssertEqual(recorder.all.filter { $0.0 == .warning }.map(\.1), [], "no line skipped", file: file, line: line)
        for user in users {
            assertAllowed(plugin.check(user, password), as: user, file: file, line: line)
            assertDenied(plugin.check(user, wrongPassword), .invalidCredentials, file: file, line: line)
            assertDenied(plugin.check(user, ""), .invalidCredentials, file: file, line: line)
        }
        assertDenied(plugin.check("nobody", password), .invalidCredentials, file: file, line: line)
    }
}
