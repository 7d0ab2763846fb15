import PortcullisPluginKit

extension WatchedFile {
    /// A key or revocation file of this plugin: looked at, at most once per `interval` seconds,
    /// in the background when a request finds the look due. A reload is logged at info; a bad version is
    /// logged once as a warning naming the file and the error (never the content) and ignored.
    convenience init(
        path: String, what: String, interval: Int, log: @escaping @Sendable (PluginHost.LogLevel, String) -> Void,
        load: @escaping @Sendable (FileSnapshot) throws -> Value
    ) throws {
        try self.init(path: path, interval: .seconds(interval), report: { change in
            switch change {
            case .reloaded: log(.info, "reloaded \(what) from \(path)")
            case .failed(let error, _): log(.warning, "keeping the previous \(what): \(error)")
            case .unchanged, .changing: break
            }
        }, load: load)
    }
}
