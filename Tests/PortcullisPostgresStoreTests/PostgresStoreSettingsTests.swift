import PortcullisPostgresStore
import XCTest

final class PostgresStoreSettingsTests: XCTestCase {
    func testAURLIsParsedAndItsPasswordNeverShown() throws {
        let settings = try PostgresStoreSettings(url: "postgresql://portcullis:s3cr%40t@db.internal:6543/auth", timeout: .milliseconds(250))
        XCTAssertEqual(settings.host, "db.internal")
        XCTAssertEqual(settings.port, 6543)
        XCTAssertEqual(settings.user, "portcullis")
        XCTAssertEqual(settings.password, "s3cr@t")
        XCTAssertEqual(settings.database, "auth")
        XCTAssertEqual(settings.tls, .verifyFull, "TLS with verification unless the URL says sslmode=disable")
        XCTAssertEqual(settings.timeout, .milliseconds(250))
        XCTAssertEqual(settings.description, "postgresql://portcullis@db.internal:6543/auth?sslmode=verify-full")
        XCTAssertFalse("\(settings)".contains("s3cr"))
    }

    func testDefaultsAndSSLModeDisable() throws {
        let settings = try PostgresStoreSettings(url: "postgres://app@127.0.0.1?sslmode=disable")
        XCTAssertEqual(settings.port, 5432)
        XCTAssertNil(settings.database)
        XCTAssertEqual(settings.tls, .disable)
        XCTAssertEqual(settings.timeout, PostgresStoreSettings.defaultTimeout)
    }

    func testBadURLsAreRefusedWithAReason() {
        let cases = [
            ("mysql://u@h/db", "postgresql://"),
            ("postgresql://h/db", "no user"),
            ("postgresql://u@/db", "no host"),
            ("postgresql://u@h/db?sslmode=prefer", "sslmode 'prefer'"),
            ("postgresql://u@h/db?application_name=x", "'application_name'"),
        ]
        for (url, expected) in cases {
            XCTAssertThrowsError(try PostgresStoreSettings(url: url), url) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(url): \(error)")
            }
        }
        XCTAssertThrowsError(try PostgresStoreSettings(url: "postgresql://u@h/db", timeout: .zero))
    }
}
