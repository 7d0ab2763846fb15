import Foundation
import PortcullisTestSupport
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `portcullis serve` binary on loopback, under a steady stream of requests: SIGHUP with
/// a changed configuration, then (through `portcullis reload`) with a broken one. No request
/// fails, the change takes effect, the broken file is refused and the old stacks keep serving.
final class DaemonReloadTests: XCTestCase {
    typealias S = TestSupport

    static func config(port: Int, principal: String, broken: Bool = false) -> String {
        """
        [server]
        listen = "127.0.0.1:\(port)"
        metrics_listen = "off"

        [[stack.default]]
        plugin = "debug"
        control = "required"
        result = "allow"
        principal = "\(principal)"
        \(broken ? "colour = \"red\"" : "")
        """
    }

    /// A port the kernel just handed out (closed again, so the daemon can bind it).
    static func freePort() throws -> Int { try TestSupport.freePort() }

    /// Counts answers while the test reloads.
    actor Tally {
        var principals: [String: Int] = [:]
        var failures: [String] = []
        var last = ""
        func record(_ principal: String) { principals[principal, default: 0] += 1; last = principal }
        func fail(_ why: String) { failures.append(why) }
    }

    func testReloadUnderLoad() async throws {
        let directory = try S.temporaryDirectory(self)
        let configPath = directory + "/portcullis.toml"
        let pidFile = directory + "/portcullis.pid"
        let logPath = directory + "/serve.log"
        let port = try Self.freePort()
        try S.write(Self.config(port: port, principal: "one"), to: configPath)
        FileManager.default.createFile(atPath: logPath, contents: nil)

        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: S.binDirectory + "/portcullis")
        daemon.arguments = ["serve", "--config", configPath, "--pid-file", pidFile]
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }

        let session = URLSession(configuration: .ephemeral)
        let base = "http://127.0.0.1:\(port)"
        func get(_ path: String) async throws -> (Int, String?) {
            var request = URLRequest(url: URL(string: base + path)!)
            request.timeoutInterval = 5
            let (_, response) = try await session.data(for: request)
            let http = response as! HTTPURLResponse
            return (http.statusCode, http.value(forHTTPHeaderField: "X-Auth-User"))
        }

        // Up within 10 s.
        var up = false
        for _ in 0..<100 where !up {
            up = (try? await get("/healthz").0) == 200
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(up, "the daemon did not start: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
        guard up else { return }
        XCTAssertTrue(FileManager.default.fileExists(atPath: pidFile))

        let tally = Tally()
        let stop = ManagedAtomicFlag()
        let stream = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        while !stop.isSet {
                            do {
                                let (status, user) = try await get("/auth")
                                if status == 200, let user { await tally.record(user) } else { await tally.fail("status \(status)") }
                            } catch {
                                await tally.fail("\(error)")
                            }
                        }
                    }
                }
            }
        }

        try await Task.sleep(for: .milliseconds(300))
        // 1. A changed configuration, by SIGHUP: takes effect.
        try S.write(Self.config(port: port, principal: "two"), to: configPath)
        kill(daemon.processIdentifier, SIGHUP)
        var switched = false
        for _ in 0..<50 where !switched {
            try await Task.sleep(for: .milliseconds(100))
            switched = await tally.last == "two"
        }
        XCTAssertTrue(switched, "the new configuration did not take effect")

        // 2. A broken one, through `portcullis reload`: refused, the running one keeps serving.
        try S.write(Self.config(port: port, principal: "three", broken: true), to: configPath)
        let reload = try S.run(S.binDirectory + "/portcullis", ["reload", "--pid-file", pidFile])
        XCTAssertEqual(reload.status, 0, reload.output)
        var refused = false
        for _ in 0..<50 where !refused {
            try await Task.sleep(for: .milliseconds(100))
            refused = ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").contains("reload refused")
        }
        XCTAssertTrue(refused, "no refusal logged")
        try await Task.sleep(for: .milliseconds(300))
        stop.set()
        await stream.value

        let failures = await tally.failures
        let principals = await tally.principals
        XCTAssertEqual(failures, [], "failed requests during reload")
        XCTAssertGreaterThan(principals["one", default: 0], 0)
        XCTAssertGreaterThan(principals["two", default: 0], 0)
        XCTAssertNil(principals["three"], "the broken configuration served requests")
        XCTAssertGreaterThan(principals.values.reduce(0, +), 20, "a steady stream, not a trickle: \(principals)")
        print("reload under load: answers by principal \(principals)")
        let last = await tally.last
        XCTAssertEqual(last, "two")
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        XCTAssertTrue(log.contains("colour"), "the refusal names the problem:\n\(log)")

        // Graceful stop: exit 0, pid file removed.
        daemon.terminate()
        daemon.waitUntilExit()
        XCTAssertEqual(daemon.terminationStatus, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: pidFile))
    }
}

/// A stop flag shared with the request loops.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
