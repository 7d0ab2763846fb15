import Foundation
import PostgresNIO

/// How to reach the PostgreSQL store: `[store] url` parsed once, plus the bounds every call
/// keeps. `description` never shows the password, so the settings can be logged as they are.
package struct PostgresStoreSettings: Sendable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String?
    package var tls: TLSMode
    /// The longest any call waits for the database (a lease, a statement, its rows). A caller is
    /// answered with an error at this bound even if PostgreSQL never replies.
    package var timeout: Duration
    /// How often rows past their expiry are deleted.
    package var pruneInterval: Duration = .seconds(60)
    /// How often the LISTEN connection is probed (`SELECT 1`), so a silently dead link is noticed.
    package var heartbeatInterval: Duration = .seconds(5)
    /// The LISTEN connection is retried after this, doubling up to `maximumBackoff`.
    package var initialBackoff: Duration = .milliseconds(100)
    package var maximumBackoff: Duration = .seconds(5)

    package enum TLSMode: String, Sendable {
        /// Plain TCP: only for loopback or a network the operator trusts.
        case disable
        /// TLS with the server's certificate and host name verified against the system's roots
        /// (libpq's `verify-full`).
        case verifyFull = "verify-full"
    }

    package static let defaultTimeout: Duration = .milliseconds(300)

    /// Parses `postgresql://user[:password]@host[:port][/database][?sslmode=disable|verify-full]`
    /// (`postgres://` too); percent-escapes are decoded. Throws a message for the config error.
    package init(url: String, timeout: Duration = PostgresStoreSettings.defaultTimeout) throws(PostgresStoreSettingsError) {
        guard let components = URLComponents(string: url) else { throw .init("is not a URL") }
        guard let scheme = components.scheme, ["postgresql", "postgres"].contains(scheme.lowercased()) else {
            throw .init("must start with postgresql://")
        }
        guard let host = components.host, !host.isEmpty else { throw .init("names no host") }
        guard let user = components.user, !user.isEmpty else { throw .init("names no user (postgresql://USER@host/db)") }
        guard timeout > .zero else { throw .init("timeout must be positive") }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user
        self.password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? nil : path
        self.timeout = timeout
        self.tls = .verifyFull
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    throw .init("sslmode '\(item.value ?? "")' is not supported: use verify-full (the default) or disable")
                }
                tls = mode
            default:
                throw .init("the parameter '\(item.name)' is not supported (only sslmode)")
            }
        }
    }

    /// The URL without its password, for logs and `config check`.
    package var description: String {
        let name = database.map { "/" + $0 } ?? ""
        return "postgresql://\(user)@\(host):\(port)\(name)?sslmode=\(tls.rawValue)"
    }

    /// For the pool that runs the calls.
    var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database,
            tls: tls == .disable ? .disable : .require(.makeClientConfiguration()))
        // A connection attempt may not outlast a call; the pool keeps retrying in the background.
        configuration.options.connectTimeout = timeout
        configuration.options.maximumConnections = 8
        configuration.options.additionalStartupParameters = [("application_name", "portcullis")]
        return configuration
    }

    /// For the LISTEN connection, outside the pool.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            self.tls == .disable ? .disable : .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .nanoseconds(timeout.nanosecondsClamped)
        // Named so an operator (and the fleet tests) can tell each daemon's listener in pg_stat_activity.
        configuration.options.additionalStartupParameters = [("application_name", "portcullis-listen")]
        return configuration
    }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

package struct PostgresStoreSettingsError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
