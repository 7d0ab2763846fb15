import Foundation
import PortcullisTestSupport
import XCTest

/// `portcullis lockout` against the real daemon: faillock in front of crypt, the admin socket
/// created 0600, a lock listed, kept across SIGHUP, reset by the operator and logged.
final class LockoutAdminTests: XCTestCase {
    typealias S = TestSupport

    func config(port: Int, directory: String) -> String {
        """
        [server]
        listen = "127.0.0.1:\(port)"
        metrics_listen = "off"
        admin_socket = "\(directory)/run/admin.sock"

        [cache]
        enabled = false

        [[stack.default]]
        plugin = "faillock"
        control = "requisite"
        deny = 3

        [[stack.default]]
        plugin = "crypt"
        control = "required"
        file = "\(directory)/passwords"
        """
    }

    func prepare() throws -> String {
        let directory = try S.temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: directory + "/run", withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o755])
        let hash = try S.run(S.binDirectory + "/portcullis-hash", ["--user", "alice", "--scheme", "bcrypt", "--cost", "4"],
                             input: Array("right".utf8))
        XCTAssertEqual(hash.status, 0, hash.stderr)
        try S.write(String(hash.stdout.split(separator: "\n")[0]) + "\n", to: directory + "/passwords")
        return directory
    }

    func auth(_ port: Int, _ password: String) -> HTTPProbe.Answer? {
        HTTPProbe.get(port: port, path: "/auth", headers: [("Authorization", .basic("alice", password))], timeout: 5)
    }

    func lockout(_ arguments: [String]) throws -> ProcessResult {
        try S.run(S.binDirectory + "/portcullis", ["lockout"] + arguments)
    }

    func testListResetAndReloadThroughTheAdminSocket() async throws {
        let directory = try prepare()
        let port = try DaemonReloadTests.freePort()
        let daemon = try await RunningDaemon(config(port: port, directory: directory), port: port, directory: directory, test: self)
        let socket = directory + "/run/admin.sock"

        var info = stat()
        XCTAssertEqual(stat(socket, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600, "the admin socket is for the daemon's user only")

        for _ in 0..<3 { XCTAssertEqual(auth(port, "Wr0ngPass")?.status, 401) }
        // A deny is observed before it is answered, so the third failure is counted by now.
        var list = ""
        XCTAssertTrue(try S.eventually { list = try lockout(["list", "--socket", socket]).stdout; return list.contains("alice\t127.0.0.1\t3\t") },
                      list)
        XCTAssertTrue(list.contains("-\t127.0.0.1\t3\t0"), "the address key counts too, below its limit: \(list)")
        let locked = try XCTUnwrap(auth(port, "right"))
        XCTAssertEqual(locked.status, 403)
        XCTAssertTrue(locked.body.contains("locked_out"), locked.body)
        XCTAssertTrue(locked.head.lowercased().contains("retry-after: 600") || locked.head.lowercased().contains("retry-after: 599"), locked.head)

        // SIGHUP: a new gatekeeper on the same store; the lock holds.
        kill(daemon.process.processIdentifier, SIGHUP)
        XCTAssertTrue(S.eventually { daemon.log.contains("reload: new configuration in service") }, daemon.log)
        XCTAssertEqual(auth(port, "right")?.status, 403, "a reload keeps counts and locks")

        let reset = try lockout(["reset", "--user", "alice", "--address", "127.0.0.1", "--config", directory + "/portcullis.toml"])
        XCTAssertEqual(reset.status, 0, reset.stderr)
        XCTAssertTrue(reset.stdout.contains("reset\talice\t127.0.0.1\t3\tlocked"), reset.stdout)
        XCTAssertEqual(auth(port, "right")?.status, 200)
        XCTAssertTrue(S.eventually { daemon.log.contains("lockout reset by an operator") }, daemon.log)
        XCTAssertTrue(daemon.log.contains("user=alice"), daemon.log)
        XCTAssertTrue(daemon.log.contains("locked user from address: user=alice address=127.0.0.1 count=3"), daemon.log)
        XCTAssertFalse(daemon.log.contains("Wr0ngPass"), "no password in the log")
        XCTAssertEqual(try lockout(["list", "--socket", socket]).stdout, "user\taddress\tcount\tlocked_seconds\n")

        let bad = try lockout(["reset", "--address", "not-an-ip", "--socket", socket])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("not an IP address"), bad.stderr)
    }

    /// A socket directory another user could write to: the daemon refuses to start.
    func testAWritableSocketDirectoryIsRefused() throws {
        let directory = try prepare()
        XCTAssertEqual(chmod(directory + "/run", 0o777), 0)
        let port = try DaemonReloadTests.freePort()
        try S.write(config(port: port, directory: directory), to: directory + "/portcullis.toml")
        let result = try S.run(S.binDirectory + "/portcullis", ["serve", "--config", directory + "/portcullis.toml"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("writable by group or others"), result.stderr)
    }

    func testNoAdminSocketMeansNothingToReach() throws {
        let result = try lockout(["list", "--socket", try S.temporaryDirectory(self) + "/none.sock"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("cannot reach the daemon"), result.stderr)
    }
}
