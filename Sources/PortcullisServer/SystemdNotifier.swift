#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle

/// systemd's notify protocol (`Type=notify`, sd_notify(3)): one datagram of `KEY=value` lines to
/// the socket in `$NOTIFY_SOCKET`. Written out here, a dozen lines of socket calls, because the
/// issue rules out libsystemd and no package on this machine speaks the protocol. Without
/// `$NOTIFY_SOCKET` (not started by systemd) every call does nothing.
struct SystemdNotifier: Sendable {
    /// The socket's address: a path, or an abstract name (`@name` in the environment).
    private let address: [UInt8]?
    private let logger: Logger

    init(environment: [String: String], logger: Logger) {
        self.logger = logger
        guard let socket = environment["NOTIFY_SOCKET"], socket.hasPrefix("/") || socket.hasPrefix("@") else {
            address = nil
            return
        }
        var bytes = Array(socket.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        address = bytes
    }

    var isEnabled: Bool { address != nil }

    /// `READY=1` with a status line: every plugin is loaded and the listener is bound.
    func ready(status: String) {
        send("READY=1\nSTATUS=\(status)")
    }

    /// `RELOADING=1` before a reload (with the monotonic time systemd ≥ 253 asks of
    /// `Type=notify-reload`), then ``ready(status:)`` after it, whether or not it was taken.
    func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        send("RELOADING=1\nMONOTONIC_USEC=\(Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)")
    }

    func stopping() {
        send("STOPPING=1")
    }

    /// Sends one datagram; a failure is logged, never fatal (the daemon serves either way).
    func send(_ state: String) {
        guard let address else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            logger.warning("systemd notify: no socket", metadata: ["errno": "\(errno)"])
            return
        }
        defer { close(fd) }
        var target = sockaddr_un()
        target.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: target.sun_path)
        guard address.count < capacity else {
            logger.warning("systemd notify: NOTIFY_SOCKET is too long")
            return
        }
        withUnsafeMutableBytes(of: &target.sun_path) { path in
            path.copyBytes(from: address)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + address.count + (address.first == 0 ? 0 : 1))
        let sent = Array(state.utf8).withUnsafeBytes { message in
            withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, message.baseAddress, message.count, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        if sent < 0 { logger.warning("systemd notify: send failed", metadata: ["errno": "\(errno)"]) }
    }
}

/// The daemon's side of systemd while it runs: `WATCHDOG=1` at half of `$WATCHDOG_USEC` (only
/// in the process `$WATCHDOG_PID` names, when set), so systemd restarts a daemon that stopped
/// making progress; `STOPPING=1` when graceful shutdown begins.
struct SystemdService: Service {
    let notifier: SystemdNotifier
    let watchdogInterval: Duration?

    init(notifier: SystemdNotifier, environment: [String: String]) {
        self.notifier = notifier
        let micros = environment["WATCHDOG_USEC"].flatMap(Int64.init) ?? 0
        let ours = environment["WATCHDOG_PID"].map { $0 == "\(getpid())" } ?? true
        watchdogInterval = notifier.isEnabled && micros > 0 && ours ? .microseconds(micros / 2) : nil
    }

    func run() async throws {
        if let watchdogInterval {
            await cancelWhenGracefulShutdown { [notifier] in
                while !Task.isCancelled {
                    notifier.send("WATCHDOG=1")
                    try? await Task.sleep(for: watchdogInterval)
                }
            }
        } else {
            try? await gracefulShutdown()
        }
        notifier.stopping()
    }
}
