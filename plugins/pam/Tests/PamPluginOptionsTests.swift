import XCTest
import PamPlugin
import PortcullisPluginKit

/// Stack-entry arguments: checked when the instance is made, with errors that say what is wrong.
final class PamPluginOptionsTests: XCTestCase {
    func make(_ arguments: [(String, String)]) throws -> PamPlugin {
        let options = try PluginOptions(arguments.map { (name: $0.0, value: $0.1) }, table: PamPlugin.options)
        return try PamPlugin(options: options, host: .none)
    }

    func error(_ arguments: [(String, String)]) -> String {
        do {
            _ = try make(arguments)
            return "no error"
        } catch {
            return String(describing: error)
        }
    }

    func testDefaults() throws {
        let plugin = try make([])
        let configuration = plugin.authenticator.configuration
        XCTAssertEqual(configuration.service, "portcullis")
        XCTAssertNil(configuration.confdir)
        XCTAssertTrue(configuration.checkAccount)
        XCTAssertEqual(configuration.maxConcurrent, 16)
        XCTAssertEqual(configuration.queueTimeout, .seconds(10))
        XCTAssertEqual(configuration.challenge, #"Basic realm="portcullis", charset="UTF-8""#)
        XCTAssertEqual(PamPlugin.flags, [.blocking, .cacheable])
        XCTAssertEqual(PamPlugin.consumes, [.basic])
    }

    func testArguments() throws {
        let fixture = try PamFixture()
        try fixture.writeService("api", "auth required pam_permit.so\n")
        let plugin = try make([
            ("service", "api"), ("realm", "internal API"), ("account", "false"), ("confdir", fixture.directory),
            ("max_concurrent", "4"), ("queue_timeout", "2"),
        ])
        let configuration = plugin.authenticator.configuration
        XCTAssertEqual(configuration.service, "api")
        XCTAssertEqual(configuration.confdir, fixture.directory)
        XCTAssertFalse(configuration.checkAccount)
        XCTAssertEqual(configuration.maxConcurrent, 4)
        XCTAssertEqual(configuration.queueTimeout, .seconds(2))
        XCTAssertEqual(configuration.challenge, #"Basic realm="internal API", charset="UTF-8""#)
    }

    /// The SDK's realm rule: quotes and backslashes are escaped (RFC 7617 quoted-string), not refused.
    func testARealmWithQuotesIsEscaped() throws {
        let plugin = try make([("realm", #"ops "internal" \ api"#)])
        XCTAssertEqual(plugin.authenticator.configuration.challenge, #"Basic realm="ops \"internal\" \\ api", charset="UTF-8""#)
    }

    func testBadArgumentsAreErrors() throws {
        let fixture = try PamFixture()
        XCTAssertTrue(error([("user", "x")]).contains("unknown argument 'user'"))
        XCTAssertTrue(error([("service", "../shadow")]).contains("'service'"))
        XCTAssertTrue(error([("service", "")]).contains("'service'"))
        XCTAssertTrue(error([("realm", "a\nb")]).contains("'realm'"))
        XCTAssertTrue(error([("realm", "")]).contains("'realm'"))
        XCTAssertTrue(error([("confdir", "relative/dir")]).contains("absolute"))
        XCTAssertTrue(error([("confdir", fixture.directory)]).contains("\(fixture.directory)/portcullis"))
        XCTAssertTrue(error([("max_concurrent", "0")]).contains("max_concurrent"))
        XCTAssertTrue(error([("account", "yes")]).contains("account"))
    }
}
