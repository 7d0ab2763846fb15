public import Foundation
public import XCTest

/// A PostgreSQL cluster of the test's own, from Debian's `postgresql` package (scripts/setup):
/// `initdb` in a temporary directory, `pg_ctl` on a free port on 127.0.0.1 with trust
/// authentication, stopped when the test ends. PostgreSQL refuses to run as root, so under root
/// it runs as the `postgres` user the package creates. Anything that does not start throws with
/// the tool's output and the server log: a test that needs PostgreSQL fails, it never skips.
public final class PostgresCluster: @unchecked Sendable {
    public let port: Int
    public let database = "portcullis"
    public let user = "portcullis"
    private let dataDirectory: String
    private let logPath: String
    private let binDirectory: String
    private let runAs: String?

    /// The URL for `[store] url` (loopback, so no TLS).
    public var url: String { "postgresql://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    public init(_ test: XCTestCase) throws {
        binDirectory = try Self.findBinDirectory()
        port = try TestSupport.freePort()
        let directory = try TestSupport.temporaryDirectory(test) + "/postgres"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        dataDirectory = directory + "/data"
        logPath = directory + "/server.log"
        if getuid() == 0 {
            guard let account = getpwnam("postgres") else {
                throw TestFailure("running as root and there is no 'postgres' user to run PostgreSQL as: run scripts/setup")
            }
            guard chown(directory, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw TestFailure("cannot give \(directory) to the postgres user: \(String(cString: strerror(errno)))")
            }
            runAs = "postgres"
        } else {
            runAs = nil
        }
        try tool("initdb", ["-D", dataDirectory, "-U", user, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        let settings = """

            # The test's own cluster: TCP on loopback only, no socket file, no durability needed.
            port = \(port)
            listen_addresses = '127.0.0.1'
            unix_socket_directories = ''
            fsync = off
            synchronous_commit = off
            full_page_writes = off

            """
        let configuration = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + "/postgresql.conf"))
        try configuration.seekToEnd()
        try configuration.write(contentsOf: Data(settings.utf8))
        try configuration.close()
        try start()
        test.addTeardownBlock { [self] in _ = try? self.tool("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"]) }
        try tool("createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, database])
    }

    /// Starts the server and waits until it accepts connections (again, after `stop`).
    public func start() throws {
        try tool("pg_ctl", ["-D", dataDirectory, "-l", logPath, "-w", "-t", "60", "start"])
    }

    /// Stops the server (fast: open connections are closed), as an outage would.
    public func stop() throws {
        try tool("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// Runs SQL with `psql` and returns its unaligned, tuples-only output, for assertions.
    public func psql(_ sql: String) throws -> String {
        try tool("psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", database, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The postmaster and every process it started (backends, background workers), for a test
    /// that freezes the server with SIGSTOP.
    public func serverProcessIDs() throws -> [pid_t] {
        let pidFile = try String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)
        guard let line = pidFile.split(separator: "\n").first, let postmaster = pid_t(line) else {
            throw TestFailure("postmaster.pid holds no process id")
        }
        var pids = [postmaster]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "(name)": state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == postmaster { pids.append(pid) }
        }
        return pids
    }

    public var serverLog: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Runs one of PostgreSQL's programs (as `postgres` under root); throws with its output and
    /// the server log when it fails.
    @discardableResult
    private func tool(_ name: String, _ arguments: [String]) throws -> String {
        let program = binDirectory + "/" + name
        let (executable, argv) = runAs.map { ("/usr/sbin/runuser", ["-u", $0, "--", program] + arguments) } ?? (program, arguments)
        let (status, output) = try Self.spawn(executable, argv, outputPath: logPath + ".\(name).out")
        guard status == 0 else {
            throw TestFailure("PostgreSQL: \(name) \(arguments.joined(separator: " ")) exited \(status):\n\(output)\nserver log:\n\(serverLog)")
        }
        return output
    }

    /// posix_spawn and waitpid, output to a file. Not `TestSupport.run`: Foundation's Process
    /// never saw `runuser` exit after `pg_ctl start` had left the server running (the test hung
    /// with a zombie child), and the server, which lives on, must not hold a pipe of ours.
    private static func spawn(_ executable: String, _ arguments: [String], outputPath: String) throws -> (Int32, String) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw TestFailure("waitpid \(executable): \(String(cString: strerror(errno)))") }
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS, which Swift does not import (they are macros).
        let exited = status & 0x7F == 0
        return (exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F), output)
    }

    /// The newest /usr/lib/postgresql/N/bin that has initdb.
    private static func findBinDirectory() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        throw TestFailure("PostgreSQL is not installed (no \(root)/N/bin/initdb): run scripts/setup, which installs Debian's postgresql")
    }
}
