import PortcullisTestSupport
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
        XCTAssertEqual(error("listen = 1\n" + entry), "portcullis.toml:1: listen: unknown setting (expected one of: plugin_dir, proxy, status, response, server, cache, store, log, stack)")
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

    /// An empty array is "given, empty", not absent: it crosses as one `name[]` pair.
    func testAnEmptyArrayCrossesAsOneMarkerArgument() throws {
        let configuration = try Configuration(parsing: """
            [[stack.default]]
            plugin = "debug"
            control = "required"
            list = []
            """, file: "x.toml")
        let entry = try XCTUnwrap(configuration.stack(named: "default")?.entries.first)
        XCTAssertEqual(entry.arguments.map(\.name), ["list[]"])
        XCTAssertEqual(entry.arguments.map(\.value), [""])
        XCTAssertEqual(EmptyListLint.warnings(for: configuration).count, 1)
    }

    func testServerAndCacheSettings() throws {
        let entry = "[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\n"
        let defaults = try Configuration(parsing: entry, file: "x.toml")
        XCTAssertEqual(defaults.listen, "127.0.0.1:9180")
        XCTAssertEqual(defaults.server, ServerSettings())
        XCTAssertEqual(defaults.server.allowStatus, 200)
        XCTAssertEqual(defaults.cache.enabled, true)
        XCTAssertEqual(defaults.cache.positiveTTL, 60)
        XCTAssertEqual(defaults.cache.negativeTTL, 5)

        let configured = try Configuration(parsing: """
            [server]
            listen = "[::1]:9999"
            allow_status = 204
            blocking_threads = 2
            blocking_queue = 0

            [cache]
            enabled = false
            positive_ttl = 30
            negative_ttl = 0
            max_entries = 100
            """ + "\n" + entry, file: "x.toml")
        XCTAssertEqual(configured.listen, "[::1]:9999")
        XCTAssertEqual(configured.server.allowStatus, 204)
        XCTAssertEqual(configured.server.blockingThreads, 2)
        XCTAssertEqual(configured.server.blockingQueue, 0)
        XCTAssertEqual(configured.cache.enabled, false)
        XCTAssertEqual(configured.cache.positiveTTL, 30)
        XCTAssertEqual(configured.cache.negativeTTL, 0)
        XCTAssertEqual(configured.cache.maxEntries, 100)
    }

    func testServerAndCacheErrorsNameLineAndKey() {
        let entry = "[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\n"
        XCTAssertEqual(error("[server]\nallow_status = 201\n" + entry), "portcullis.toml:2: server.allow_status: must be 200 or 204")
        XCTAssertEqual(error("[server]\nlisten = \"a:1\"\nblocking_threads = 0\n" + entry),
                       "portcullis.toml:3: server.blocking_threads: must be an integer from 1 to 1024")
        XCTAssertEqual(error("[server]\nworkers = 3\n" + entry),
                       "portcullis.toml:2: server.workers: unknown setting (expected one of: listen, allow_status, blocking_threads, blocking_queue, original_request, header_timeout, idle_timeout, max_connections, check_timeout, metrics_listen, admin_socket, watch)")
        XCTAssertEqual(error("[server]\noriginal_request = \"traefik\"\n" + entry), "portcullis.toml:2: server.original_request: must be \"x-original\" (nginx) or \"x-forwarded\" (Traefik, Caddy)")
        XCTAssertEqual(error("[cache]\nenabled = \"yes\"\n" + entry), "portcullis.toml:2: cache.enabled: must be true or false")
        XCTAssertEqual(error("[cache]\n\npositive_ttl = -1\n" + entry), "portcullis.toml:3: cache.positive_ttl: must be an integer from 0 to 86400")
        XCTAssertEqual(error("[cache]\nnegative_ttl = 1.5\n" + entry), "portcullis.toml:2: cache.negative_ttl: must be an integer from 0 to 86400")
        XCTAssertEqual(error("[cache]\nmax_entries = 0\n" + entry), "portcullis.toml:2: cache.max_entries: must be an integer from 1 to 10000000")
        XCTAssertEqual(error("[cache]\nttl = 3\n" + entry),
                       "portcullis.toml:2: cache.ttl: unknown setting (expected one of: enabled, positive_ttl, negative_ttl, max_entries)")
    }

    /// The daemon's hardening knobs have safe defaults and are validated like every other key.
    func testConnectionTimeoutAndMetricsSettings() throws {
        let entry = "[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\n"
        let defaults = try Configuration(parsing: entry, file: "x.toml").server
        XCTAssertEqual(defaults.headerTimeout, .seconds(10))
        XCTAssertEqual(defaults.idleTimeout, .seconds(60))
        XCTAssertNil(defaults.maxConnections, "a margin below the descriptor limit")
        XCTAssertEqual(defaults.checkTimeout, .seconds(5))
        XCTAssertEqual(defaults.metricsListen, "127.0.0.1:9181")

        let configured = try Configuration(parsing: """
            [server]
            header_timeout = 2
            idle_timeout = 0.5
            max_connections = 500
            check_timeout = 1.25
            metrics_listen = "[::1]:9999"
            """ + "\n" + entry, file: "x.toml").server
        XCTAssertEqual(configured.headerTimeout, .seconds(2))
        XCTAssertEqual(configured.idleTimeout, .milliseconds(500))
        XCTAssertEqual(configured.maxConnections, 500)
        XCTAssertEqual(configured.checkTimeout, .milliseconds(1250))
        XCTAssertEqual(configured.metricsListen, "[::1]:9999")
        for off in ["off", ""] {
            XCTAssertNil(try Configuration(parsing: "[server]\nmetrics_listen = \"\(off)\"\n" + entry, file: "x.toml").server.metricsListen)
        }

        XCTAssertEqual(error("[server]\nheader_timeout = 0\n" + entry), "portcullis.toml:2: server.header_timeout: must be a number of seconds from 0.1 to 3600")
        XCTAssertEqual(error("[server]\nidle_timeout = \"60s\"\n" + entry), "portcullis.toml:2: server.idle_timeout: must be a number of seconds from 0.1 to 86400")
        XCTAssertEqual(error("[server]\n\ncheck_timeout = -1\n" + entry), "portcullis.toml:3: server.check_timeout: must be a number of seconds from 0.01 to 3600")
        XCTAssertEqual(error("[server]\nmax_connections = 0\n" + entry), "portcullis.toml:2: server.max_connections: must be an integer from 1 to 1000000")
        XCTAssertEqual(error("[server]\nmetrics_listen = 9181\n" + entry),
                       "portcullis.toml:2: server.metrics_listen: must be \"host:port\" (e.g. \"127.0.0.1:9181\"), or \"off\"")
        XCTAssertEqual(error("[server]\nlisten = \"127.0.0.1:9181\"\nmetrics_listen = \"127.0.0.1:9181\"\n" + entry),
                       "portcullis.toml:3: server.metrics_listen: must differ from server.listen")
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
