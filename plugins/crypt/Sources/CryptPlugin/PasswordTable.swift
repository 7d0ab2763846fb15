import PortcullisPluginKit
import Synchronization

/// The password file as currently loaded, reloaded when the file on disk changes.
///
/// At most once per `checkInterval` a `check` stats the path; a different device, inode, size,
/// modification or change time reloads the file and swaps the whole table at once. A file that
/// cannot be read or parsed keeps the previous table serving, and the error is logged once.
final class PasswordTable: Sendable {
    typealias Log = @Sendable (PluginHost.LogLevel, String) -> Void

    let path: String
    let format: PasswordFile.Format?
    let allowPlaintext: Bool
    let checkInterval: Duration
    private let log: Log

    private struct State {
        var file: PasswordFile
        var identity: FileSnapshot.Identity?
        var nextCheck: ContinuousClock.Instant
        var lastError: String?
    }

    private let state: Mutex<State>

    /// Loads the file; an unreadable file is an error (the stack entry cannot be created).
    init(path: String, format: PasswordFile.Format?, allowPlaintext: Bool, checkInterval: Duration, log: @escaping Log) throws {
        self.path = path
        self.format = format
        self.allowPlaintext = allowPlaintext
        self.checkInterval = checkInterval
        self.log = log
        let (file, identity) = try Self.load(path: path, format: format, allowPlaintext: allowPlaintext, log: log)
        state = Mutex(State(file: file, identity: identity, nextCheck: .now + checkInterval, lastError: nil))
    }

    /// The table to check this request against, reloading it first if the file changed.
    func current() -> PasswordFile {
        let now = ContinuousClock.now
        let (file, known, due) = state.withLock { state in
            guard now >= state.nextCheck else { return (state.file, state.identity, false) }
            state.nextCheck = now + checkInterval
            return (state.file, state.identity, true)
        }
        guard due, FileSnapshot.identity(of: path) != known else { return file }
        do {
            let (reloaded, identity) = try Self.load(path: path, format: format, allowPlaintext: allowPlaintext, log: log)
            state.withLock { state in
                state.file = reloaded
                state.identity = identity
                state.lastError = nil
            }
            return reloaded
        } catch {
            let message = String(describing: error)
            let isNew = state.withLock { state in
                defer { state.lastError = message }
                return state.lastError != message
            }
            if isNew { log(.error, "\(message); keeping the previous table (\(file.entries.count) users)") }
            return file
        }
    }

    private static func load(
        path: String, format: PasswordFile.Format?, allowPlaintext: Bool, log: Log
    ) throws -> (PasswordFile, FileSnapshot.Identity) {
        let snapshot = try FileSnapshot.read(path)
        let file = try PasswordFile(path: path, contents: snapshot.contents, format: format, allowPlaintext: allowPlaintext)
        for problem in file.problems { log(.warning, problem) }
        log(.info, "\(path): loaded \(file.entries.count) users (\(file.format.rawValue) format)")
        return (file, snapshot.identity)
    }
}
