public import Logging
public import Portcullis

extension TestSupport {
    /// A gatekeeper for an inline TOML configuration, loading plugins through the real loader.
    public static func gatekeeper(_ toml: String, file: String = "test.toml", logger: Logger = Logger(label: "portcullis")) throws -> Gatekeeper {
        try Gatekeeper(configuration: Configuration(parsing: toml, file: file), logger: logger)
    }
}
