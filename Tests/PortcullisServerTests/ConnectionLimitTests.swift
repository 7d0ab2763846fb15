import Foundation
import PortcullisTestSupport
import XCTest

/// Slow and half-open connections against the real daemon under the descriptor limit systemd
/// gives a service (1,024): they are closed after `header_timeout` / `idle_timeout`, and beyond
/// `max_connections` the oldest one still waiting for its request head makes room, so descriptors
/// never run out and `/healthz` keeps answering.
final class ConnectionLimitTests: XCTestCase {
    typealias S = TestSupport

    static func config(port: Int, metricsPort: Int? = nil, server extra: String) -> String {
        """
        [server]
        listen = "127.0.0.1:\(port)"
        metrics_listen = "\(metricsPort.map { "127.0.0.1:\($0)" } ?? "off")"
        \(extra)

        [[stack.default]]
        plugin = "debug"
        control = "required"
        result = "allow"
        principal = "someone"
        """
    }

    /// Opens a connection and sends the start of a request head, never its end.
    static func halfOpen(port: Int) -> Int32? {
        let fd = HTTPProbe.connect(port: port, timeout: 0.5)
        guard fd >= 0 else { return nil }
        _ = HTTPProbe.send(fd, Array("GET /auth HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
        return fd
    }

    /// Whether the daemon closed `fd` within `seconds` (a read sees the end of the stream).
    static func closedByPeer(_ fd: Int32, within seconds: Int) -> Bool {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return true }  // end of stream: closed by the daemon
            if count < 0 { return errno == ECONNRESET }  // a timeout leaves it open
        }
    }

    func testHalfOpenConnectionsCannotExhaustDescriptors() async throws {
        let port = try DaemonReloadTests.freePort()
        let metricsPort = try DaemonReloadTests.freePort()
        let daemon = try await RunningDaemon(Self.config(port: port, metricsPort: metricsPort, server: "header_timeout = 2"), port: port,
                                             directory: try S.temporaryDirectory(self), descriptorLimit: 1024, test: self)
        var attackers: [Int32] = []
        defer { attackers.forEach { close($0) } }
        var refused = 0
        while attackers.count < 1100 && refused < 50 {
            if let fd = Self.halfOpen(port: port) { attackers.append(fd) } else { refused += 1 }
        }
        XCTAssertGreaterThan(attackers.count, 1024, "more connections than the daemon has descriptors")

        // While they stall, /healthz still answers within the header timeout.
        let health = HTTPProbe.get(port: port, path: "/healthz", timeout: 2)
        XCTAssertEqual(health?.status, 200, "no answer while \(attackers.count) connections stall:\n\(daemon.log.suffix(2000))")

        // Once they are gone, the daemon is alive and serving.
        attackers.forEach { close($0) }
        attackers = []
        var answered = false
        for _ in 0..<50 where !answered {
            answered = HTTPProbe.get(port: port, path: "/auth", timeout: 1)?.status == 200
            if !answered { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(answered, "no answer after the connections closed:\n\(daemon.log.suffix(2000))")
        XCTAssertTrue(daemon.isRunning, "the daemon died:\n\(daemon.log.suffix(2000))")

        // The cap was kept by closing stalled connections, and the metrics say so.
        let metrics = HTTPProbe.get(port: metricsPort, path: "/metrics", timeout: 2)?.body ?? ""
        let evicted = metrics.split(separator: "\n").first { $0.hasPrefix(#"portcullis_connections_shed_total{reason="evicted"}"#) }
        XCTAssertGreaterThan(evicted.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0, 0, metrics)
    }

    /// A connection that has not sent a complete head within `header_timeout` is closed (on the
    /// metrics listener too); one idle between requests longer than `idle_timeout` too.
    func testSlowHeadsAndIdleConnectionsAreClosed() async throws {
        let port = try DaemonReloadTests.freePort()
        let metricsPort = try DaemonReloadTests.freePort()
        _ = try await RunningDaemon(Self.config(port: port, metricsPort: metricsPort, server: "header_timeout = 1\nidle_timeout = 2"),
                                    port: port, directory: try S.temporaryDirectory(self), test: self)
        let slow = try XCTUnwrap(Self.halfOpen(port: port))
        defer { close(slow) }
        let slowMetrics = try XCTUnwrap(Self.halfOpen(port: metricsPort))
        defer { close(slowMetrics) }
        XCTAssertTrue(Self.closedByPeer(slow, within: 5), "a connection without a complete head stayed open")
        XCTAssertTrue(Self.closedByPeer(slowMetrics, within: 5), "a metrics connection without a complete head stayed open")

        let idle = HTTPProbe.connect(port: port, timeout: 1)
        XCTAssertGreaterThanOrEqual(idle, 0)
        defer { close(idle) }
        XCTAssertTrue(HTTPProbe.send(idle, Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)))
        var buffer = [UInt8](repeating: 0, count: 4096)
        XCTAssertGreaterThan(recv(idle, &buffer, buffer.count, 0), 0, "no answer on the keep-alive connection")
        XCTAssertTrue(Self.closedByPeer(idle, within: 6), "an idle keep-alive connection stayed open")
    }

    /// A check is answered at its head, whatever body follows; a client that then trickles an
    /// endless body is closed by the idle timeout, not kept for ever (it was: the answer waited
    /// for the body's end, and a request in flight is never idle).
    func testAnEndlessBodyNeitherHoldsTheAnswerNorTheConnection() async throws {
        let port = try DaemonReloadTests.freePort()
        _ = try await RunningDaemon(Self.config(port: port, server: "header_timeout = 1\nidle_timeout = 2"),
                                    port: port, directory: try S.temporaryDirectory(self), test: self)
        let fd = HTTPProbe.connect(port: port, timeout: 1)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        XCTAssertTrue(HTTPProbe.send(fd, Array("POST /auth HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\nx".utf8)))
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        XCTAssertGreaterThan(count, 0, "no answer before the body's end")
        XCTAssertTrue(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self).hasPrefix("HTTP/1.1 200"))

        // One byte of body every 200 ms: the daemon closes within the idle timeout (2 s) and slack.
        var poll = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &poll, socklen_t(MemoryLayout<timeval>.size))
        let started = ContinuousClock.now
        var closed = false
        while !closed && ContinuousClock.now - started < .seconds(8) {
            if !HTTPProbe.send(fd, [UInt8(ascii: "x")]) { closed = true; break }
            let read = recv(fd, &buffer, buffer.count, 0)
            closed = read == 0 || (read < 0 && errno == ECONNRESET)
        }
        XCTAssertTrue(closed, "a connection trickling a body stayed open for 8 s")
    }
}
