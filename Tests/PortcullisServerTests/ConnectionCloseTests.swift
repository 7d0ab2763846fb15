import Foundation
import PortcullisTestSupport
import XCTest

/// RFC 9112 §9.6: a server that closes the connection after an answer says so with
/// `Connection: close`. nginx asks to close unless configured otherwise, and without the header it
/// kept the connection as alive, reused it and found it reset (one request in sixteen retried).
final class ConnectionCloseTests: XCTestCase {
    typealias S = TestSupport

    func testAnAnswerOnAClosingConnectionSaysConnectionClose() async throws {
        let port = try DaemonReloadTests.freePort()
        let daemon = try await RunningDaemon(ConnectionLimitTests.config(port: port, server: ""), port: port,
                                             directory: try S.temporaryDirectory(self), test: self)

        // HTTP/1.1 with `Connection: close` (what HTTPProbe sends), and HTTP/1.0 without keep-alive.
        let closing = HTTPProbe.get(port: port, path: "/auth", timeout: 2)
        XCTAssertEqual(closing?.status, 200, daemon.log.suffix(2000).description)
        XCTAssertTrue(Self.fields(closing?.head).contains("connection: close"), closing?.head ?? "no answer")
        let old = Self.exchange(port: port, "GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        XCTAssertTrue(old.hasPrefix("HTTP/1.1 200"), old)
        XCTAssertTrue(Self.fields(old).contains("connection: close"), old)

        // Kept alive: no `Connection: close`, and a second request on the same connection is answered.
        let fd = HTTPProbe.connect(port: port, timeout: 2)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        for round in 1...2 {
            XCTAssertTrue(HTTPProbe.send(fd, Array("GET /auth HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)))
            let head = Self.head(fd)
            XCTAssertTrue(head.hasPrefix("HTTP/1.1 200"), "request \(round): \(head)")
            XCTAssertFalse(Self.fields(head).contains("connection: close"), "request \(round): \(head)")
        }
    }

    /// The header lines, lower-cased.
    static func fields(_ head: String?) -> [String] {
        (head ?? "").components(separatedBy: "\r\n").map { $0.lowercased() }
    }

    /// Sends `request` on a new connection and reads until the daemon closes it.
    static func exchange(port: Int, _ request: String) -> String {
        let fd = HTTPProbe.connect(port: port, timeout: 2)
        guard fd >= 0 else { return "no connection" }
        defer { close(fd) }
        guard HTTPProbe.send(fd, Array(request.utf8)) else { return "not sent" }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Reads one answer's head (the daemon's `/auth` answers carry no body here).
    static func head(_ fd: Int32) -> String {
        var received: [UInt8] = []
        var byte: UInt8 = 0
        while !received.ends(with: Array("\r\n\r\n".utf8)), recv(fd, &byte, 1, 0) == 1 { received.append(byte) }
        return String(decoding: received, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
