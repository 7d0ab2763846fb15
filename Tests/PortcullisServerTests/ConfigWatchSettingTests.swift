import Portcullis
import XCTest

/// `[server] watch`: off unless asked for, a boolean, and a wrong value named by file:line: key.
final class ConfigWatchSettingTests: XCTestCase {
    let entry = "[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\nresult = \"allow\"\nprincipal = \"a\"\n"

    func testWatchIsOffByDefaultAndOnWhenAskedFor() throws {
        XCTAssertFalse(try Configuration(parsing: entry, file: "portcullis.toml").server.watch)
        XCTAssertFalse(try Configuration(parsing: "[server]\nwatch = false\n" + entry, file: "portcullis.toml").server.watch)
        XCTAssertTrue(try Configuration(parsing: "[server]\nwatch = true\n" + entry, file: "portcullis.toml").server.watch)
    }

    func testAWatchValueThatIsNotABooleanNamesFileLineAndKey() {
        for value in ["\"yes\"", "1", "\"true\""] {
            XCTAssertThrowsError(try Configuration(parsing: "[server]\n\nwatch = \(value)\n" + entry, file: "portcullis.toml")) { error in
                XCTAssertEqual("\(error)", "portcullis.toml:3: server.watch: must be true or false", value)
            }
        }
    }
}
