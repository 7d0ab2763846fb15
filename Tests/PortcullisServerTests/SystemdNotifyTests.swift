import Foundation
import PortcullisTestSupport
import XCTest

/// The real daemon under a stand-in for systemd: a Python datagram socket in `$NOTIFY_SOCKET`
/// that writes down every message it gets, and whether the daemon's listener accepted a
/// connection at the moment `READY=1` arrived.
final class SystemdNotifyTests: XCTestCase {
    typealias S = TestSupport

    /// Prints one JSON line per datagram: the message, and for `READY=1` whether the port is bound.
    private static let listener = #"""
        import json, os, signal, socket, sys
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the test process may ignore it, and children inherit that
        path, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        address = "\0" + path[1:] if path.startswith("@") else path
        server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        server.bind(address)
        open(log + ".ready", "w").close()
        while True:
            message = server.recv(4096).decode()
            entry = {"message": message}
            if "READY=1" in message:
                probe = socket.socket()
                entry["bound"] = probe.connect_ex(("127.0.0.1", port)) == 0
                probe.close()
            with open(log, "a") as out:
                out.write(json.dumps(entry) + "\n")
        """#

    private struct Notification: Decodable {
        var message: String
        var bound: Bool?
    }

    private func notifications(_ log: String) -> [Notification] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Notification.self, from: Data($0.utf8)) }
    }

    private func startListener(socket: String, port: Int, log: String, directory: String) throws -> Process {
        let script = directory + "/notify.py"
        try S.write(Self.listener, to: script)
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", script, socket, "\(port)", log]
        try python.run()
        addTeardownBlock {
            kill(python.processIdentifier, SIGKILL)
            python.waitUntilExit()
        }
        guard S.eventually(timeout: 10, { FileManager.default.fileExists(atPath: log + ".ready") }) else {
            throw TestFailure("the stand-in for systemd did not start")
        }
        return python
    }

    private func config(port: Int, broken: Bool = false) -> String {
        """
        [server]
        listen = "127.0.0.1:\(port)"
        metrics_listen = "off"

        [[stack.default]]
        plugin = "debug"
        control = "required"
        result = "allow"
        principal = "alice"

        [[stack.second]]
        plugin = "debug"
        control = "required"
        result = "allow"
        principal = "bob"
        \(broken ? "colour = \"red\"" : "")
        """
    }

    func testReadyAfterTheListenerIsBoundReloadingAroundSIGHUPWatchdogAndStopping() async throws {
        try await exercise(socketName: { directory in directory + "/notify.sock" })
    }

    /// `@name` in `$NOTIFY_SOCKET` is an abstract socket (Linux), as systemd may hand out.
    func testAnAbstractNotifySocket() async throws {
        try await exercise(socketName: { _ in "@portcullis-notify-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" })
    }

    private func exercise(socketName: (String) -> String) async throws {
        let directory = try S.temporaryDirectory(self)
        let port = try DaemonReloadTests.freePort()
        let socket = socketName(directory)
        let log = directory + "/notifications.jsonl"
        _ = try startListener(socket: socket, port: port, log: log, directory: directory)

        let daemon = try await RunningDaemon(config(port: port), port: port, directory: directory,
                                             environment: ["NOTIFY_SOCKET": socket, "WATCHDOG_USEC": "200000"], test: self)
        XCTAssertTrue(S.eventually { notifications(log).contains { $0.message.hasPrefix("READY=1") } }, daemon.log)
        let ready = try XCTUnwrap(notifications(log).first { $0.message.hasPrefix("READY=1") })
        XCTAssertEqual(ready.message, "READY=1\nSTATUS=serving 2 stacks on 127.0.0.1:\(port)")
        XCTAssertEqual(ready.bound, true, "READY=1 comes only once the listener accepts connections")

        // WATCHDOG_USEC = 200 ms: a ping every 100 ms.
        XCTAssertTrue(S.eventually { notifications(log).filter { $0.message == "WATCHDOG=1" }.count >= 3 })

        // A reload that is taken, then one that is refused: each is RELOADING=1 … READY=1.
        kill(daemon.pid, SIGHUP)
        XCTAssertTrue(S.eventually { notifications(log).filter { $0.message.hasPrefix("READY=1") }.count == 2 }, daemon.log)
        try S.write(config(port: port, broken: true), to: directory + "/portcullis.toml")
        kill(daemon.pid, SIGHUP)
        XCTAssertTrue(S.eventually { notifications(log).filter { $0.message.hasPrefix("READY=1") }.count == 3 }, daemon.log)
        XCTAssertTrue(daemon.log.contains("reload refused"), daemon.log)

        let lifecycle = notifications(log).map(\.message).filter { $0 != "WATCHDOG=1" }
        XCTAssertEqual(lifecycle.count, 5, "\(lifecycle)")
        for index in [1, 3] {
            let reloading = lifecycle[index].split(separator: "\n")
            XCTAssertEqual(reloading.first, "RELOADING=1")
            XCTAssertNotNil(reloading.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? Int64($0.dropFirst(15)) : nil },
                            "systemd's notify-reload wants the monotonic time: \(reloading)")
            XCTAssertEqual(lifecycle[index + 1], "READY=1\nSTATUS=serving 2 stacks on 127.0.0.1:\(port)")
        }

        kill(daemon.pid, SIGTERM)
        XCTAssertTrue(S.eventually { notifications(log).last?.message == "STOPPING=1" }, "\(notifications(log).map(\.message))")
        XCTAssertTrue(S.eventually { !daemon.isRunning }, "SIGTERM stops the daemon")
    }

    /// Not under systemd: no socket, nothing sent, and the daemon serves as ever.
    func testWithoutNotifySocketNothingIsSent() async throws {
        let directory = try S.temporaryDirectory(self)
        let port = try DaemonReloadTests.freePort()
        let daemon = try await RunningDaemon(config(port: port), port: port, directory: directory,
                                             environment: ["NOTIFY_SOCKET": "", "WATCHDOG_USEC": "100000"], test: self)
        XCTAssertEqual(HTTPProbe.get(port: port, path: "/auth", timeout: 5)?.status, 200)
        XCTAssertFalse(daemon.log.contains("systemd notify"), daemon.log)
    }
}
