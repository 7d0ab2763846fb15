import Foundation
import PortcullisTestSupport
import XCTest

/// The `portcullis` executable as an operator runs it, on the shipped demo configuration.
final class CLITests: XCTestCase {
    let portcullis = TestSupport.binDirectory + "/portcullis"
    let demo = TestSupport.repositoryRoot + "/examples/demo/portcullis.toml"

    func run(_ arguments: [String]) throws -> ProcessResult {
        try TestSupport.run(portcullis, arguments)
    }

    /// The host links no plugin and none of the plugins' system libraries.
    func testHostExecutableLinksNoPluginLibraries() throws {
        let linked = try TestSupport.run("/usr/bin/env", ["ldd", portcullis]).stdout
        for library in ["libpam", "libcrypt", "libportcullis"] {
            XCTAssertFalse(linked.contains(library), "portcullis links \(library):\n\(linked)")
        }
        let symbols = try TestSupport.run("/usr/bin/env", ["nm", "-C", portcullis]).stdout
        for plugin in ["AuthzPlugin", "CryptPlugin", "HmacPlugin", "IplistPlugin", "PamPlugin", "crypt_rn", "pam_start"] {
            XCTAssertFalse(symbols.contains(plugin), "portcullis contains \(plugin)")
        }
    }

    func testConfigCheckOnTheDemo() throws {
        let result = try run(["config", "check", demo])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("ok (3 stacks, 8 entries)"), result.stdout)
        XCTAssertFalse(result.stdout.contains("warning"), result.stdout)
    }

    /// Issue 10's first stack, as `check` explains it: no credentials from the allowed network is
    /// a 401 asking for the password, and `config check` shows the anonymous entry of the demo.
    func testGateStackWithoutCredentialsThroughCheck() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let file = directory + "/gate.toml"
        try TestSupport.write("""
            [proxy]
            trusted = ["127.0.0.1"]
            [[stack.default]]
            plugin = "iplist"
            control = "requisite"
            allow = ["127.0.0.0/8"]
            [[stack.default]]
            plugin = "crypt"
            control = "required"
            file = "\(TestSupport.repositoryRoot)/examples/demo/users.htpasswd"
            """, to: file)
        let text = try run(["check", "--config", file])
        XCTAssertEqual(text.status, 1)
        XCTAssertTrue(text.stdout.hasPrefix("stack default: DENY missing_credentials -> HTTP 401"), text.stdout)
        XCTAssertTrue(text.stdout.contains(#"WWW-Authenticate: Basic realm="Restricted", charset="UTF-8""#), text.stdout)
        let json = try run(["check", "--config", file, "--json"])
        XCTAssertTrue(json.stdout.contains(#""reason":"missing_credentials""#), json.stdout)
        XCTAssertEqual(try run(["check", "--config", file, "--header", "Authorization: " + .basic("alice", "wonderland")]).status, 0)
        XCTAssertTrue(try run(["config", "check", demo]).stdout.contains("stack office: sufficient iplist (anonymous), required crypt"))
    }

    func testConfigCheckFailsWithLocation() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let file = directory + "/bad.toml"
        try "[[stack.default]]\nplugin = \"debug\"\ncontrol = \"sometimes\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try run(["config", "check", file])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("\(file):3: stack.default[0].control: 'sometimes' is not a control"), result.stderr)
    }

    func testCheckAllowDenyAndExitCodes() throws {
        let allow = try run(["check", "--config", demo, "--header", "Authorization: Basic YWxpY2U6d29uZGVybGFuZA==", "--json"])
        XCTAssertEqual(allow.status, 0, allow.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(allow.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["decision"] as? String, "allow")
        XCTAssertEqual(json["principal"] as? String, "alice")
        XCTAssertEqual((json["headers"] as? [String: String])?["X-Auth-User"], "alice")
        XCTAssertEqual((json["trace"] as? [[String: Any]])?.map { $0["plugin"] as? String }, ["iplist", "hmac", "crypt"])

        let deny = try run(["check", "--config", demo, "--json"])
        XCTAssertEqual(deny.status, 1)
        let denied = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(deny.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(denied["status"] as? Int, 401)
        XCTAssertEqual(denied["reason"] as? String, "missing_credentials")
        XCTAssertEqual(denied["challenges"] as? [String], [#"Bearer realm="demo""#, #"Basic realm="demo", charset="UTF-8""#])

        let blocked = try run(["check", "--config", demo, "--header", "X-Forwarded-For: 192.0.2.7"])
        XCTAssertEqual(blocked.status, 1)
        XCTAssertTrue(blocked.stdout.hasPrefix("stack default: DENY ip_not_allowed -> HTTP 403"), blocked.stdout)

        XCTAssertEqual(try run(["check", "--config", demo, "--stack", "nope"]).status, 2)
        XCTAssertEqual(try run(["check", "--config", demo, "--peer", "not-an-ip"]).status, 2)
        XCTAssertEqual(try run(["check"]).status, 2)
    }

    /// Neither the password nor the encoded header appears in any output.
    func testCheckNeverPrintsTheSecret() throws {
        for flags in [[], ["--json"]] {
            let result = try run(["check", "--config", demo, "--header", "Authorization: Basic YWxpY2U6d29uZGVybGFuZA=="] + flags)
            for secret in ["wonderland", "YWxpY2U6d29uZGVybGFuZA=="] {
                XCTAssertFalse(result.stdout.contains(secret) || result.stderr.contains(secret))
            }
        }
    }

    /// An Authorization header the host cannot parse (a bare secret, an unknown scheme) shows only
    /// its length, and the scheme name only when it is a registered one.
    func testCheckNeverPrintsAnUnparsedAuthorizationValue() throws {
        for flags in [[], ["--json"]] {
            let bare = try run(["check", "--config", demo, "--header", "Authorization: hunterhunter"] + flags)
            XCTAssertEqual(bare.status, 1, bare.stderr)
            XCTAssertFalse(bare.stdout.contains("hunter") || bare.stderr.contains("hunter"), bare.stdout + bare.stderr)
            XCTAssertTrue(bare.stdout.contains("12 bytes"), bare.stdout)

            let digest = try run(["check", "--config", demo, "--header", "Authorization: Digest username=\"x\", response=\"s3cr3tdigest\""] + flags)
            XCTAssertFalse(digest.stdout.contains("s3cr3tdigest") || digest.stderr.contains("s3cr3tdigest"), digest.stdout + digest.stderr)
            XCTAssertTrue(digest.stdout.contains("Digest"), digest.stdout)

            let spaced = try run(["check", "--config", demo, "--header", "Authorization: correcthorse batterystaple"] + flags)
            for part in ["correcthorse", "batterystaple"] {
                XCTAssertFalse(spaced.stdout.contains(part) || spaced.stderr.contains(part), spaced.stdout + spaced.stderr)
            }
        }
    }

    /// Credentials can come from standard input or a file, out of ps and shell history.
    func testHeadersFromStandardInputAndFile() throws {
        let header = "Authorization: Basic YWxpY2U6d29uZGVybGFuZA==\r\n"
        let piped = try TestSupport.run(portcullis, ["check", "--config", demo, "--headers-from", "-", "--json"], input: Array(header.utf8))
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertTrue(piped.stdout.contains(#""principal":"alice""#), piped.stdout)

        let directory = try TestSupport.temporaryDirectory(self)
        try "X-Forwarded-For: 192.0.2.7\n\n\(header)".write(toFile: directory + "/headers", atomically: true, encoding: .utf8)
        let fromFile = try run(["check", "--config", demo, "--headers-from", directory + "/headers"])
        XCTAssertEqual(fromFile.status, 1)
        XCTAssertTrue(fromFile.stdout.hasPrefix("stack default: DENY ip_not_allowed"), fromFile.stdout)
        XCTAssertEqual(try run(["check", "--config", demo, "--headers-from", directory + "/missing"]).status, 2)
    }

    /// `plugins --options NAME` prints the table the descriptor carries: a Swift plugin's (from
    /// the SDK's option table) and a C plugin's alike.
    func testPluginsOptionsPrintsTheDescriptorsTable() throws {
        func table(_ name: String) throws -> [String: [String]] {
            let result = try run(["plugins", "--options", name, "--dir", TestSupport.binDirectory])
            XCTAssertEqual(result.status, 0, result.stderr)
            let rows = result.stdout.split(separator: "\n").map {
                $0.split(separator: "  ", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
            }
            XCTAssertEqual(rows.first, ["name", "kind", "required", "help"], result.stdout)
            return Dictionary(rows.dropFirst().map { ($0[0], Array($0.dropFirst())) }, uniquingKeysWith: { first, _ in first })
        }
        let crypt = try table("crypt")
        XCTAssertEqual(crypt["file"]?.prefix(3), ["string", "yes", "the htpasswd or shadow file"])
        XCTAssertEqual(crypt["allow_plaintext"]?.prefix(2), ["bool", "no"])
        let debug = try table("debug")
        XCTAssertEqual(debug["result"], ["string", "yes", "allow, deny, ignore or error: the verdict"])
        XCTAssertEqual(debug["cache_ttl"]?.prefix(2), ["integer 0...86400", "no"])
        XCTAssertEqual(debug.keys.sorted(), ["cache_ttl", "challenge", "detail", "echo", "principal", "reason", "result"])

        let missing = try run(["plugins", "--options", "nosuch", "--dir", TestSupport.binDirectory])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("nosuch"), missing.stderr)
    }

    func testPluginsListsVersionsAndABI() throws {
        let result = try run(["plugins", "--config", demo])
        XCTAssertEqual(result.status, 0, result.stderr)
        for plugin in ["iplist 1.0.0 (ABI 1.2", "hmac 1.0.0 (ABI 1.2", "crypt 1.0.0 (ABI 1.2"] {
            XCTAssertTrue(result.stdout.contains(plugin), result.stdout)
        }
    }
}
