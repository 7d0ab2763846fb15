import Foundation
import PortcullisTestSupport
import XCTest

/// The real `portcullis serve` binary as a child process on loopback, optionally under a
/// descriptor limit (through `prlimit`, as systemd's `LimitNOFILE` would set it). Stopped with
/// SIGTERM when the test ends.
final class RunningDaemon {
    let process = Process()
    let logPath: String
    let port: Int

    /// Starts the daemon on `configuration` (written to a file in `directory`) and waits (at most
    /// 10 s) until `/healthz` answers on `port`.
    init(_ configuration: String, port: Int, directory: String, descriptorLimit: Int? = nil,
         environment: [String: String] = [:], test: XCTestCase) async throws {
        let configPath = directory + "/portcullis.toml"
        logPath = directory + "/serve.log"
        self.port = port
        try TestSupport.write(configuration, to: configPath)
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let serve = [TestSupport.binDirectory + "/portcullis", "serve", "--config", configPath]
        if let descriptorLimit {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            process.arguments = ["--nofile=\(descriptorLimit):\(descriptorLimit)"] + serve
        } else {
            process.executableURL = URL(fileURLWithPath: serve[0])
            process.arguments = Array(serve.dropFirst())
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = process.standardError
        try process.run()
        test.addTeardownBlock { [process, logPath] in
            if process.isRunning { process.terminate() }
            // A daemon that ignores SIGTERM fails its test instead of hanging the whole run.
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                XCTFail("the daemon did not exit within 20 s of SIGTERM; killed. Its log ends:\n\(log.suffix(2000))")
            }
            process.waitUntilExit()
        }
        for _ in 0..<100 {
            if HTTPProbe.get(port: port, path: "/healthz", timeout: 1)?.status == 200 { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("the daemon did not start:\n\(log)")
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }
    var pid: Int32 { process.processIdentifier }
}

/// A minimal HTTP/1.1 client over a blocking loopback socket with send and receive timeouts:
/// every call ends by itself. `Connection: close`, so the answer ends with the connection.
enum HTTPProbe {
    struct Answer {
        var status: Int
        var head: String
        var body: String
    }

    /// `GET path` on 127.0.0.1:`port`; nil when no complete answer came within `timeout` seconds.
    static func get(port: Int, path: String, headers: [(String, String)] = [], timeout: Double) -> Answer? {
        let fd = connect(port: port, timeout: timeout)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        guard send(fd, Array(request.utf8)) else { return nil }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let head = String(text[..<split.lowerBound])
        let statusLine = head.split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        return Answer(status: status, head: head, body: String(text[split.upperBound...]))
    }

    /// A TCP socket connected to 127.0.0.1:`port`, with send/receive (and so connect) timeouts;
    /// -1 on failure.
    static func connect(port: Int, timeout: Double) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            close(fd)
            return -1
        }
        return fd
    }

    /// Sends all of `bytes`; false on error or timeout.
    static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return false }
            sent += count
        }
        return true
    }
}
