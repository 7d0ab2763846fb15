import PortcullisPluginKit

extension WatchedFile {
    /// A key or revocation file of this plugin: looked at, at most once per `interval` (never when
    /// nil), in the background when a request finds the look due. A reload is logged at info; a bad
    /// version is logged once as an error naming the file and the error (never the content) and
    /// ignored: the version in force is stale, and the operator must act.
    convenience init(
        path: String, what: String, interval: Duration?, log: @escaping @Sendable (PluginHost.LogLevel, String) -> Void,
        load: @escaping @Sendable (FileSnapshot) throws -> Value
    ) throws {
        try self.init(path: path, interval: interval, report: { change in
            switch change {
            case .reloaded: log(.info, "reloaded \(what) from \(path)")
            case .failed(let error, _): log(.error, "keeping the previous \(what): \(error)")
            case .unchanged, .changing: break
            }
        }, load: load)
    }
}
