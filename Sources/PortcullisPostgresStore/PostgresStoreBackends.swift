package import CoreMetrics
package import Logging
package import Portcullis

extension PostgresStoreBackend {
    /// The `[store]` backends of a program that links PostgreSQL (`portcullis serve`, `config
    /// check`, `check`, `lockout`): `postgres` here, everything else as ``StoreBackends/standard``.
    /// Making the backend connects nothing: its `run()`, started by the shared store, does.
    package static func factory(logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory) -> StoreBackendFactory {
        { configuration in
            guard configuration.backend == .postgres else { return try StoreBackends.standard(configuration) }
            guard let url = configuration.url else { throw PostgresStoreSettingsError("backend = \"postgres\" needs url") }
            do {
                let settings = try PostgresStoreSettings(url: url, timeout: configuration.timeout)
                return PostgresStoreBackend(settings: settings, logger: logger, metrics: metrics)
            } catch {
                // The URL itself is never repeated: it may hold a password.
                throw PostgresStoreSettingsError("store.url: \(error)")
            }
        }
    }
}
