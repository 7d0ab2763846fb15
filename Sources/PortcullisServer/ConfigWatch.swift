import Foundation
import Logging
import ServiceLifecycle

/// `[server] watch = true`: reloads the configuration when its file changes, by the same path as
/// SIGHUP (``ForwardAuthServer/reload()``: built and validated in full first; a broken file is
/// logged with file:line: key and the running configuration stays in service), telling systemd
/// `RELOADING=1` and `READY=1` around it.
///
/// A change is the file's bytes differing from the last bytes seen, looked at once the
/// directory has settled (``ConfigWatchEvents``): other files coming and going beside it, or a
/// save that writes the same bytes, reload nothing. The files the configuration names (password
/// files, address lists, keys) are not watched here: their plugins reload them themselves.
struct ConfigWatch: Service {
    let server: ForwardAuthServer
    let systemd: SystemdNotifier
    /// How long the directory must stay quiet before the file is read: an editor's save, a `cp`
    /// in several writes, a ConfigMap swap (several renames) is one change.
    static let quiet: Duration = .milliseconds(300)
    /// The longest a change waits while events keep coming (a busy directory such as /etc).
    static let longest: Duration = .seconds(2)

    /// Watches until graceful shutdown. A watch that cannot start stops the daemon with the
    /// error: it was asked for, and a daemon that silently never follows its file is worse.
    func run() async throws {
        let path = server.configPath
        let events = try ConfigWatchEvents(path: path, quiet: Self.quiet, longest: Self.longest, logger: server.logger)
        defer { events.stop() }
        server.logger.info("watching the configuration file", metadata: ["file": "\(path)"])
        // Graceful shutdown stops the event thread itself, which ends the stream: the handler runs
        // at once when shutdown came first, and whatever the loop is doing. Through
        // `cancelOnGracefulShutdown()` alone (a merge with the shutdown sequence) a clean clone's
        // test run once kept the watch, and so the daemon, running for good after a SIGTERM that
        // came right after a reload.
        await withGracefulShutdownHandler {
            await follow(events, from: FileManager.default.contents(atPath: path))
        } onGracefulShutdown: {
            events.stop()
        }
    }

    /// Reloads for each change of the file's bytes, until the events end.
    private func follow(_ events: ConfigWatchEvents, from first: Data?) async {
        let path = server.configPath
        var seen = first
        for await _ in events.changes() {
            guard let now = FileManager.default.contents(atPath: path) else {
                server.logger.warning("config watch: the file is gone or unreadable; the running configuration stays in service",
                                      metadata: ["file": "\(path)"])
                continue
            }
            guard now != seen else { continue }
            // Remembered whether or not it is taken: a refused file is not retried until it changes again.
            seen = now
            server.logger.info("config watch: the file changed; reloading", metadata: ["file": "\(path)"])
            systemd.reloading()
            await server.reload()
            systemd.ready(status: server.status)
        }
    }
}
