import XCTest

@testable import Portcullis

/// Configuration errors name the file, the line and the key.
final class ConfigurationTests: XCTestCase {
    func error(_ toml: String) -> String {
        do {
            _ = try Configuration(parsing: toml, file: "portcullis.toml")
            return "no error"
        } catch {
            return error.description
        }
    }

    func testSyntaxErrorHasALine() {
        XCTAssertTrue(error("a = 1\n[[stack.default]]\nplugin = \n").hasPrefix("portcullis.toml:3: TOML syntax:"), error("a = 1\n[[stack.default]]\nplugin = \n"))
    }

    func testSemanticErrorsNameLineAndKey() {
        let entry = "[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\n"
        XCTAssertEqual(error("listen = 1\n" + entry), "portcullis.toml:1: listen: unknown setting (expected one of: plugin_dir, proxy, status, response, server, stack)")
        XCTAssertEqual(error(entry + "\n[[stack.default]]\nplugin = \"debug\"\ncontrol = \"mandatory\"\n"),
                       "portcullis.toml:7: stack.default[1].control: 'mandatory' is not a control: expected required, requisite, sufficient, optional or a [verdict=action ...] table")
        XCTAssertEqual(error("[proxy]\ntrusted = [\"10.0.0.1/8\"]\n" + entry),
                       "portcullis.toml:2: proxy.trusted: '10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)")
        XCTAssertEqual(error("[status]\nip_not_allowd = 401\n" + entry).prefix(62), "portcullis.toml:2: status.ip_not_allowd: unknown reason code (")
        XCTAssertEqual(error("[status]\nip_not_allowed = 200\n" + entry), "portcullis.toml:2: status.ip_not_allowed: must be an HTTP error status (400-599)")
        XCTAssertEqual(error("[[stack.default]]\ncontrol = \"required\"\n"), "portcullis.toml:1: stack.default[0]: missing 'plugin = \"NAME\"'")
        XCTAssertEqual(error("[[stack.default]]\nplugin = \"debug\"\n"), "portcullis.toml:1: stack.default[0]: missing 'control' (required, requisite, sufficient, optional or [verdict=action ...])")
        XCTAssertEqual(error(entry + "path = \"relative.so\"\n"), "portcullis.toml:4: stack.default[0].path: must be an absolute path to the plugin's .so")
        XCTAssertEqual(error(entry + "opts = { a = 1 }\n"), "portcullis.toml:4: stack.default[0].opts: must be a string, integer, boolean or an array of those")
        XCTAssertEqual(error("plugin_dir = \"x\"\n" + entry), "portcullis.toml:1: plugin_dir: must be an absolute path string")
        XCTAssertEqual(error("[proxy]\nheader = \"X-Real-IP\"\n" + entry), "portcullis.toml:2: proxy.header: must be \"X-Forwarded-For\" or \"Forwarded\"")
        XCTAssertEqual(error("a_key_only = true\n").prefix(29), "portcullis.toml:1: a_key_only")
        XCTAssertEqual(error("[server]\nlisten = \"9180\"\n" + entry), "portcullis.toml:2: server.listen: must be \"host:port\", e.g. \"127.0.0.1:9180\"")
        XCTAssertEqual(error("plugin_dir = \"/x\"\n"), "portcullis.toml: stack: no stacks: define at least [[stack.default]]")
    }

    func testArgumentsAndStacks() throws {
        let configuration = try Configuration(parsing: """
            [[stack.web]]
            plugin = "debug"
            control = "[allow=done default=die]"
            result = "allow"
            list = ["a", "b", 3, true]
            ttl = 30

            [[stack.api]]
            plugin = "debug"
            control = "optional"
            result = "ignore"
            """, file: "x.toml")
        XCTAssertEqual(configuration.stacks.map(\.name), ["web", "api"], "file order")
        let entry = try XCTUnwrap(configuration.stack(named: "web")?.entries.first)
        XCTAssertEqual(entry.arguments.filter { $0.name == "list" }.map(\.value), ["a", "b", "3", "true"])
        XCTAssertEqual(entry.arguments.first { $0.name == "ttl" }?.value, "30")
        XCTAssertEqual(entry.control.allow, .done)
        XCTAssertEqual(entry.line, 1)
        XCTAssertEqual(configuration.stack(named: "api")?.entries.first?.line, 8)
    }

    func testConfigDirExpandsToTheFilesDirectory() throws {
        let configuration = try Configuration(parsing: """
            [[stack.default]]
            plugin = "debug"
            control = "required"
            file = "${config_dir}/users"
            """, file: "/tmp/site.toml")
        XCTAssertEqual(configuration.stacks[0].entries[0].arguments.first?.value, "/tmp/users")
    }

    func testReadingAMissingFileNamesIt() {
        XCTAssertThrowsError(try Configuration(contentsOf: "/nonexistent/portcullis.toml")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/portcullis.toml: cannot read the file: No such file or directory")
        }
    }
}
