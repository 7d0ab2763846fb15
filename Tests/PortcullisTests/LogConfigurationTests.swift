import Portcullis
import XCTest

/// `[log] format`: `text` by default, `json` on request, anything else an error naming file, line and key.
final class LogConfigurationTests: XCTestCase {
    static let stack = "[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\nresult = \"deny\"\nreason = \"invalid_credentials\"\n"

    func testFormatDefaultsToTextAndTakesJSON() throws {
        XCTAssertEqual(try Configuration(parsing: Self.stack, file: "site.toml").log.format, .text)
        XCTAssertEqual(try Configuration(parsing: "[log]\nformat = \"json\"\n" + Self.stack, file: "site.toml").log.format, .json)
        XCTAssertEqual(try Configuration(parsing: "[log]\nformat = \"text\"\n" + Self.stack, file: "site.toml").log.format, .text)
    }

    func testBadValuesNameFileLineAndKey() {
        for (text, message) in [
            ("[log]\nformat = \"yaml\"\n", "site.toml:2: log.format: must be \"text\" or \"json\""),
            ("[log]\nformat = 1\n", "site.toml:2: log.format: must be \"text\" or \"json\""),
            ("[log]\n\nlevel = \"debug\"\n", "site.toml:3: log.level: unknown setting (expected one of: format)"),
            ("log = \"json\"\n", "site.toml:1: log: must be a table ([log])"),
        ] {
            XCTAssertThrowsError(try Configuration(parsing: text + Self.stack, file: "site.toml"), text) { error in
                XCTAssertEqual("\(error)", message)
            }
        }
    }
}
