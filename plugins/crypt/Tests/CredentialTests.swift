import Foundation
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

@testable import CryptPlugin

/// RFC 7617 credentials as bytes: non-UTF-8 and colon-containing passwords, NUL bytes, credentials
/// of other kinds, and locked entries.
final class CredentialTests: XCTestCase {
    /// "päss:wörd" in ISO-8859-1: not UTF-8, and with a colon after the first one.
    let latin1: [UInt8] = [0x70, 0xE4, 0x73, 0x73, 0x3A, 0x77, 0xF6, 0x72, 0x64]

    func testNonUTF8AndColonPasswordsCompareAsBytes() throws {
        let lines = [
            firstLine(try runTool("htpasswd", ["-n", "-i", "-B", "-C", "4", "latin-bcrypt"], input: latin1)),
            firstLine(try runTool("htpasswd", ["-n", "-i", "-m", "latin-apr1"], input: latin1)),
            firstLine(try runTool("htpasswd", ["-n", "-i", "-s", "latin-sha1"], input: latin1)),
            "latin-yescrypt:" + firstLine(try runTool("mkpasswd", ["-m", "yescrypt", "--stdin"], input: latin1)),
            firstLine(try runTool("htpasswd", ["-n", "-i", "-5", "colon"], input: Array("a:b:c".utf8))),
        ]
        let plugin = try makePlugin([("file", try writeFile(self, lines))])
        let utf8 = Array("päss:wörd".utf8)
        let replaced = Array(String(decoding: latin1, as: UTF8.self).utf8)  // U+FFFD for each bad byte
        for user in ["latin-bcrypt", "latin-apr1", "latin-sha1", "latin-yescrypt"] {
            assertAllowed(plugin.check(.basic(user: Array(user.utf8), password: latin1)), as: user)
            assertDenied(plugin.check(.basic(user: Array(user.utf8), password: utf8)), .invalidCredentials)
            assertDenied(plugin.check(.basic(user: Array(user.utf8), password: replaced)), .invalidCredentials)
        }
        // The host splits user-id and password on the first colon; the rest is the password.
        assertAllowed(plugin.check("colon", "a:b:c"), as: "colon")
        assertDenied(plugin.check("colon", "a"), .invalidCredentials)
        // A user-id that is not UTF-8 matches nobody.
        assertDenied(plugin.check(.basic(user: [0xFF, 0x63, 0x6F], password: latin1)), .invalidCredentials)
    }

    func testNULByteNeverTruncatesThePassword() throws {
        let lines = [
            "crypt:" + firstLine(try runTool("mkpasswd", ["-m", "sha512crypt", "--stdin"], input: Array("abc".utf8))),
            firstLine(try runTool("htpasswd", ["-n", "-i", "-m", "apr1"], input: Array("abc".utf8))),
        ]
        let plugin = try makePlugin([("file", try writeFile(self, lines))])
        for user in ["crypt", "apr1"] {
            assertAllowed(plugin.check(user, "abc"), as: user)
            assertDenied(plugin.check(.basic(user: Array(user.utf8), password: Array("abc\0def".utf8))), .invalidCredentials)
            assertDenied(plugin.check(.basic(user: Array(user.utf8), password: Array("abc\0".utf8))), .invalidCredentials)
        }
    }

    func testLockedEntriesNeverVerify() throws {
        let hash = firstLine(try runTool("mkpasswd", ["-m", "sha512crypt", "--stdin"], input: Array("secret".utf8)))
        let lines = ["bang:!", "star:*", "empty:", "lockedhash:!\(hash)", "starhash:*\(hash)", "open:\(hash)"]
        let plugin = try makePlugin([("file", try writeFile(self, lines))])
        for user in ["bang", "star", "empty", "lockedhash", "starhash"] {
            assertDenied(plugin.check(user, "secret"), .invalidCredentials)
            assertDenied(plugin.check(user, ""), .invalidCredentials)
            assertDenied(plugin.check(user, "!"), .invalidCredentials)
        }
        assertAllowed(plugin.check("open", "secret"), as: "open")
    }

    /// A missing credential fails (design note 3a): `required crypt` must fail the stack.
    func testMissingOrOtherCredentialsAreDeniedWithTheChallenge() throws {
        let plugin = try makePlugin([("file", try writeFile(self, ["a:{SHA}x"])), ("realm", #"ops "internal" \ api"#)])
        let challenge = #"Basic realm="ops \"internal\" \\ api", charset="UTF-8""#
        func reason(_ outcome: PluginOutcome) -> ReasonCode? {
            guard case .deny(let reason, challenge, _, _) = outcome else { return nil }
            return reason
        }
        XCTAssertEqual(reason(plugin.check(.none)), .missingCredentials)
        XCTAssertEqual(reason(plugin.check(.bearer(token: Array("abc".utf8)))), .unsupportedScheme)
        XCTAssertEqual(reason(plugin.check(.other(scheme: "Digest", value: Array("x".utf8)))), .unsupportedScheme)
        XCTAssertEqual(reason(plugin.check(.malformed(scheme: "Bearer"))), .unsupportedScheme)
        XCTAssertEqual(reason(plugin.check(.malformed(scheme: ""))), .malformedCredentials)
        guard case .deny(.malformedCredentials, challenge, _, _) = plugin.check(.malformed(scheme: "bAsIc")) else {
            return XCTFail("a malformed Basic credential is malformed_credentials")
        }
    }

    func testPlaintextOnlyWhenAllowed() throws {
        let des = firstLine(try runTool("mkpasswd", ["-m", "descrypt", "--stdin"], input: Array("pw4des".utf8)))
        let path = try writeFile(self, ["plain:secret", "des:\(des)"])
        let strict = try makePlugin([("file", path)])
        assertDenied(strict.check("plain", "secret"), .invalidCredentials)
        assertAllowed(strict.check("des", "pw4des"), as: "des")
        let lax = try makePlugin([("file", path), ("allow_plaintext", "true")])
        assertAllowed(lax.check("plain", "secret"), as: "plain")
        assertDenied(lax.check("plain", "secreT"), .invalidCredentials)
        assertDenied(lax.check("plain", "secret "), .invalidCredentials)
        // A DES hash stays a hash, not a plaintext password.
        assertAllowed(lax.check("des", "pw4des"), as: "des")
        assertDenied(lax.check("des", des), .invalidCredentials)
    }

    /// With allow_plaintext, a hash of an unknown scheme used to become a password equal to its
    /// own text: anyone who read the file could log in with the hash. Such lines are now skipped
    /// with their line numbers, and the plaintext users are counted in a warning at load.
    func testAHashShapedValueIsNeverAPlaintextPassword() throws {
        let hashes = ["$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo", "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "$", "_", "{CRYPT}x"]
        let path = try writeFile(self, ["plain:secret"] + hashes.enumerated().map { "user\($0.offset):\($0.element)" })
        let recorder = LogRecorder()
        let lax = try makePlugin([("file", path), ("allow_plaintext", "true")], log: recorder.log)
        assertAllowed(lax.check("plain", "secret"), as: "plain")
        for (index, hash) in hashes.enumerated() {
            assertDenied(lax.check("user\(index)", hash), .invalidCredentials)
        }
        let warnings = recorder.all.filter { $0.0 == .warning }.map(\.1)
        for index in hashes.indices {
            XCTAssertTrue(warnings.contains { $0.hasPrefix("\(path):\(index + 2): unrecognised password hash for user 'user\(index)'") }, "\(warnings)")
        }
        XCTAssertTrue(warnings.contains("\(path): 1 user has a plaintext password (allow_plaintext = true): anyone who can read the file can log in as them"),
                      "\(warnings)")
    }

    func testConcurrentChecks() throws {
        let lines = [
            firstLine(try runTool("htpasswd", ["-n", "-i", "-B", "-C", "4", "b"], input: Array("pw-b".utf8))),
            firstLine(try runTool("htpasswd", ["-n", "-i", "-m", "m"], input: Array("pw-m".utf8))),
            "y:" + firstLine(try runTool("mkpasswd", ["-m", "yescrypt", "--stdin"], input: Array("pw-y".utf8))),
        ]
        let plugin = try makePlugin([("file", try writeFile(self, lines))])
        let users = ["b", "m", "y"]
        let failures = NSLock()
        nonisolated(unsafe) var wrong = 0
        DispatchQueue.concurrentPerform(iterations: 90) { index in
            let user = users[index % 3]
            let right = index % 2 == 0
            let outcome = plugin.check(user, right ? "pw-\(user)" : "pw-x")
            let ok: Bool
            if right, case .allow(let identity, _, _) = outcome { ok = identity.principal == user }
            else if !right, case .deny(.invalidCredentials, _, _, _) = outcome { ok = true }
            else { ok = false }
            if !ok { failures.withLock { wrong += 1 } }
        }
        XCTAssertEqual(wrong, 0)
    }
}
