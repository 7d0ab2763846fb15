import Foundation
import PortcullisTestSupport
import XCTest

/// `[server] watch = true` against the real daemon: the file edited in place, replaced by a
/// rename, deleted and recreated, broken, and written many times in a burst. What the daemon
/// answers, what `/metrics` counts and what the log says are the evidence; nothing is timed.
final class ConfigWatchTests: XCTestCase {
    typealias S = TestSupport

    struct Daemon {
        let daemon: RunningDaemon
        let port: Int
        let metricsPort: Int
        let configPath: String
        var url: URL { URL(fileURLWithPath: configPath) }

        /// Who `/auth` is allowed as now (the stack's principal), or nil.
        var principal: String? {
            guard let answer = HTTPProbe.get(port: port, path: "/auth", timeout: 5), answer.status == 200 else { return nil }
            for line in answer.head.split(separator: "\r\n") where line.lowercased().hasPrefix("x-auth-user:") {
                return line.dropFirst("x-auth-user:".count).trimmingCharacters(in: .whitespaces)
            }
            return nil
        }

        /// The value of one sample in `/metrics` (`name{labels}` exactly as exposed), or nil.
        func metric(_ sample: String) -> Double? {
            guard let answer = HTTPProbe.get(port: metricsPort, path: "/metrics", timeout: 5), answer.status == 200 else { return nil }
            for line in answer.body.split(separator: "\n") where line.hasPrefix(sample + " ") {
                return Double(line.dropFirst(sample.count + 1))
            }
            return nil
        }

        var successes: Double? { metric(#"portcullis_config_reloads_total{result="success"}"#) }
        var failures: Double? { metric(#"portcullis_config_reloads_total{result="failure"}"#) }
        var lastSuccess: Double? { metric("portcullis_config_last_reload_success_timestamp_seconds") }
    }

    static func config(port: Int, metricsPort: Int, principal: String, broken: Bool = false) -> String {
        """
        [server]
        listen = "127.0.0.1:\(port)"
        metrics_listen = "127.0.0.1:\(metricsPort)"
        watch = true

        [[stack.default]]
        plugin = "debug"
        control = "required"
        result = "allow"
        principal = "\(principal)"
        \(broken ? "colour = \"red\"" : "")
        """
    }

    func start(principal: String, environment: [String: String] = [:]) async throws -> Daemon {
        let directory = try S.temporaryDirectory(self)
        let port = try S.freePort(), metricsPort = try S.freePort()
        let daemon = try await RunningDaemon(Self.config(port: port, metricsPort: metricsPort, principal: principal),
                                             port: port, directory: directory, environment: environment, test: self)
        let started = Daemon(daemon: daemon, port: port, metricsPort: metricsPort, configPath: directory + "/portcullis.toml")
        XCTAssertTrue(S.eventually { started.daemon.log.contains("watching the configuration file") }, daemon.log)
        return started
    }

    func config(_ daemon: Daemon, principal: String, broken: Bool = false) -> String {
        Self.config(port: daemon.port, metricsPort: daemon.metricsPort, principal: principal, broken: broken)
    }

    /// Rewritten in place (the same inode: `open(O_TRUNC)`, write, close), then replaced by a
    /// rename (an editor's save, `mv`), then deleted and written anew: each change is served.
    func testTheFileChangedInPlaceByRenameAndByRecreationIsServed() async throws {
        let daemon = try await start(principal: "one")
        XCTAssertEqual(daemon.principal, "one")
        XCTAssertEqual(daemon.successes, 0)
        XCTAssertEqual(daemon.failures, 0)
        XCTAssertNotNil(daemon.lastSuccess, "set at start")

        try config(daemon, principal: "two").write(toFile: daemon.configPath, atomically: false, encoding: .utf8)
        XCTAssertTrue(S.eventually { daemon.principal == "two" }, daemon.daemon.log)
        XCTAssertTrue(S.eventually { daemon.successes == 1 }, "\(String(describing: daemon.successes))")

        try S.replaceAtomically(daemon.url, with: config(daemon, principal: "three"))
        XCTAssertTrue(S.eventually { daemon.principal == "three" }, daemon.daemon.log)

        XCTAssertEqual(unlink(daemon.configPath), 0)
        try config(daemon, principal: "four").write(toFile: daemon.configPath, atomically: false, encoding: .utf8)
        XCTAssertTrue(S.eventually { daemon.principal == "four" }, daemon.daemon.log)
        XCTAssertTrue(S.eventually { daemon.successes == 3 }, "\(String(describing: daemon.successes))")
        XCTAssertEqual(daemon.failures, 0)
    }

    /// A Kubernetes ConfigMap volume: the file is a symbolic link through `..data`, and an update
    /// swaps `..data` to a new directory by renaming a new link over it. The file's name never
    /// changes; the daemon follows anyway.
    func testAConfigMapStyleSymbolicLinkSwapIsServed() async throws {
        let daemon = try await start(principal: "one")
        let directory = (daemon.configPath as NSString).deletingLastPathComponent
        // Turn the plain file into the ConfigMap layout, with the same contents (no reload due).
        let contents = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory + "/..v1", withIntermediateDirectories: false)
        try S.write(contents, to: directory + "/..v1/portcullis.toml")
        XCTAssertEqual(symlink("..v1", directory + "/..data"), 0)
        XCTAssertEqual(symlink("..data/portcullis.toml", directory + "/.link"), 0)
        XCTAssertEqual(rename(directory + "/.link", daemon.configPath), 0)

        try FileManager.default.createDirectory(atPath: directory + "/..v2", withIntermediateDirectories: false)
        try S.write(config(daemon, principal: "two"), to: directory + "/..v2/portcullis.toml")
        XCTAssertEqual(symlink("..v2", directory + "/..data_tmp"), 0)
        XCTAssertEqual(rename(directory + "/..data_tmp", directory + "/..data"), 0)
        try FileManager.default.removeItem(atPath: directory + "/..v1")
        XCTAssertTrue(S.eventually { daemon.principal == "two" }, daemon.daemon.log)
        XCTAssertTrue(S.eventually { daemon.successes == 1 }, "\(String(describing: daemon.successes))")
    }

    /// A broken file is refused: the old configuration keeps serving, the failure is counted, the
    /// log names file:line and the key (line 6: the entry with the unknown argument), and the
    /// success timestamp stays where it was. Fixed, it is taken.
    func testABrokenFileKeepsTheOldConfigurationServing() async throws {
        let daemon = try await start(principal: "one")
        let loadedAt = try XCTUnwrap(daemon.lastSuccess)

        try S.replaceAtomically(daemon.url, with: config(daemon, principal: "two", broken: true))
        XCTAssertTrue(S.eventually { daemon.failures == 1 }, daemon.daemon.log)
        XCTAssertEqual(daemon.principal, "one")
        XCTAssertEqual(daemon.successes, 0)
        XCTAssertEqual(daemon.lastSuccess, loadedAt)
        let log = daemon.daemon.log
        let location = try NSRegularExpression(pattern: NSRegularExpression.escapedPattern(for: daemon.configPath) + #":6: stack\.default\[0\]: plugin 'debug': unknown argument .*'colour'"#)
        XCTAssertNotNil(location.firstMatch(in: log, range: NSRange(log.startIndex..., in: log)), log)
        XCTAssertTrue(log.contains("reload refused"), log)

        try S.replaceAtomically(daemon.url, with: config(daemon, principal: "two"))
        XCTAssertTrue(S.eventually { daemon.principal == "two" }, daemon.daemon.log)
        XCTAssertTrue(S.eventually { daemon.successes == 1 })
        XCTAssertGreaterThan(try XCTUnwrap(daemon.lastSuccess), loadedAt)
        XCTAssertEqual(daemon.failures, 1)
    }

    /// Twenty writes as fast as the test can make them, half in place and half by rename: one
    /// reload, of the last version. After the change is served, the daemon is given well over
    /// its quiet period to show a second reload if it were going to make one.
    func testABurstOfWritesIsOneReload() async throws {
        let daemon = try await start(principal: "one")
        for index in 0..<20 {
            let text = config(daemon, principal: "burst\(index)")
            if index % 2 == 0 {
                try text.write(toFile: daemon.configPath, atomically: false, encoding: .utf8)
            } else {
                try S.replaceAtomically(daemon.url, with: text)
            }
        }
        XCTAssertTrue(S.eventually { daemon.principal == "burst19" }, daemon.daemon.log)
        XCTAssertTrue(S.eventually { daemon.successes == 1 }, "\(String(describing: daemon.successes))")
        try await Task.sleep(for: .seconds(1.5))
        XCTAssertEqual(daemon.successes, 1, daemon.daemon.log)
        XCTAssertEqual(daemon.failures, 0, daemon.daemon.log)
    }

    /// Other files coming and going beside the configuration, and a save of the same bytes, reload
    /// nothing.
    func testUnrelatedChangesReloadNothing() async throws {
        let daemon = try await start(principal: "one")
        let directory = (daemon.configPath as NSString).deletingLastPathComponent
        try S.write("x", to: directory + "/other.txt")
        try FileManager.default.removeItem(atPath: directory + "/other.txt")
        try S.replaceAtomically(daemon.url, with: config(daemon, principal: "one"))
        // Then a real change, so the watcher has demonstrably looked since.
        try await Task.sleep(for: .seconds(1))
        try S.replaceAtomically(daemon.url, with: config(daemon, principal: "two"))
        XCTAssertTrue(S.eventually { daemon.principal == "two" }, daemon.daemon.log)
        XCTAssertTrue(S.eventually { daemon.successes == 1 })
        XCTAssertEqual(daemon.successes, 1, daemon.daemon.log)
    }

    /// A watch-triggered reload tells systemd as SIGHUP does: `RELOADING=1`, then `READY=1`.
    func testAWatchReloadTellsSystemd() async throws {
        let directory = try S.temporaryDirectory(self)
        let socket = directory + "/notify.sock"
        let received = directory + "/notifications"
        try S.write(#"""
            import socket, sys
            server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            server.bind(sys.argv[1])
            open(sys.argv[2] + ".ready", "w").close()
            while True:
                message = server.recv(4096).decode()
                with open(sys.argv[2], "a") as out:
                    out.write(message.split("\n")[0] + "\n")
            """#, to: directory + "/notify.py")
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", directory + "/notify.py", socket, received]
        try python.run()
        addTeardownBlock {
            kill(python.processIdentifier, SIGKILL)
            python.waitUntilExit()
        }
        XCTAssertTrue(S.eventually { FileManager.default.fileExists(atPath: received + ".ready") }, "the stand-in for systemd did not start")
        func messages() -> [String] {
            ((try? String(contentsOfFile: received, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        let daemon = try await start(principal: "one", environment: ["NOTIFY_SOCKET": socket])
        XCTAssertTrue(S.eventually { messages() == ["READY=1"] }, "\(messages())")
        try S.replaceAtomically(daemon.url, with: config(daemon, principal: "two"))
        XCTAssertTrue(S.eventually { messages() == ["READY=1", "RELOADING=1", "READY=1"] }, "\(messages())\n\(daemon.daemon.log)")
        XCTAssertEqual(daemon.principal, "two")
    }

    /// SIGTERM stops a watching daemon whenever it comes: right after a reload, and while a change
    /// is still settling. (A clean clone's run once hung for good in teardown: the daemon kept
    /// its watch thread and never exited after a reload.)
    func testTermStopsTheDaemonRightAfterAReloadAndWhileAChangeSettles() async throws {
        for round in 0..<6 {
            let daemon = try await start(principal: "p\(round)")
            try config(daemon, principal: "q\(round)").write(toFile: daemon.configPath, atomically: false, encoding: .utf8)
            if round % 2 == 0 { XCTAssertTrue(S.eventually { daemon.principal == "q\(round)" }, daemon.daemon.log) }
            daemon.daemon.process.terminate()
            let stopped = S.eventually(timeout: 10) { !daemon.daemon.process.isRunning }
            XCTAssertTrue(stopped, "round \(round): the daemon did not exit within 10 s of SIGTERM:\n\(daemon.daemon.log.suffix(1500))")
            if !stopped { kill(daemon.daemon.process.processIdentifier, SIGKILL) }
        }
    }
}
