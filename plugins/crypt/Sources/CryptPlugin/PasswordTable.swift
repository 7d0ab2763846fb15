import PortcullisPluginKit

/// The password file in force, reloaded when the file on disk changes (`WatchedFile` in the SDK):
/// at most once per check interval a request schedules a look in the background (a check never
/// reads the disk itself), and a new version is swapped in whole.
typealias PasswordTable = WatchedFile<PasswordFile>

extension WatchedFile where Value == PasswordFile {
    typealias Log = @Sendable (PluginHost.LogLevel, String) -> Void

    /// Loads the file; an unreadable or bad file is an error (the stack entry cannot be created).
    /// A later version that cannot be read or parsed keeps the previous table serving, and is
    /// logged once as an error.
    convenience init(path: String, format: PasswordFile.Format?, allowPlaintext: Bool, checkInterval: Duration, log: @escaping Log) throws {
        try self.init(path: path, interval: checkInterval, report: { change in
            switch change {
            case .reloaded(let file): Self.logLoaded(file, from: path, log)
            case .failed(let error, let kept): log(.error, "\(error); keeping the previous table (\(kept.entries.count) users)")
            case .unchanged, .changing: break
            }
        }) { snapshot in
            try PasswordFile(path: snapshot.path, contents: snapshot.bytes, format: format, allowPlaintext: allowPlaintext)
        }
        Self.logLoaded(value, from: path, log)
    }

    private static func logLoaded(_ file: PasswordFile, from path: String, _ log: Log) {
        for problem in file.problems { log(.warning, problem) }
        if file.plaintextUsers > 0 {
            log(.warning, "\(path): \(file.plaintextUsers) \(file.plaintextUsers == 1 ? "user has" : "users have") a plaintext password (allow_plaintext = true): anyone who can read the file can log in as them")
        }
        log(.info, "\(path): loaded \(file.entries.count) users (\(file.format.rawValue) format)")
    }
}
