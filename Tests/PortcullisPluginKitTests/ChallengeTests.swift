import PortcullisPluginKit
import XCTest

/// The realm rule every credential plugin shares, and the challenges written from it.
final class ChallengeTests: XCTestCase {
    func testBasicAndBearerChallenges() throws {
        let realm = try Realm("api")
        XCTAssertEqual(Challenge.basic(realm: realm), #"Basic realm="api", charset="UTF-8""#)
        XCTAssertEqual(Challenge.bearer(realm: realm), #"Bearer realm="api""#)
        XCTAssertEqual(Challenge.bearer(realm: realm, error: "invalid_token", description: "The access token expired"),
                       #"Bearer realm="api", error="invalid_token", error_description="The access token expired""#)
    }

    /// RFC 9110 §5.6.4: a quoted-string escapes `"` and `\`; everything else printable is kept.
    func testQuotesAndBackslashesAreEscaped() throws {
        let realm = try Realm(#"ops "internal" \ api"#)
        XCTAssertEqual(realm.text, #"ops "internal" \ api"#)
        XCTAssertEqual(realm.quoted, #""ops \"internal\" \\ api""#)
        XCTAssertEqual(Challenge.basic(realm: realm), #"Basic realm="ops \"internal\" \\ api", charset="UTF-8""#)
        XCTAssertEqual(try Realm("Zürich Büro").quoted, #""Zürich Büro""#, "UTF-8 text is kept")
    }

    func testControlCharactersAndEmptyRealmsAreRefused() {
        for bad in ["a\nb", "a\rb", "tab\there", "nul\u{0}", "del\u{7F}", ""] {
            XCTAssertThrowsError(try Realm(bad), bad.debugDescription) { error in
                XCTAssertTrue("\(error)".hasPrefix("argument 'realm' must"), "\(error)")
            }
        }
    }

    func testTheRealmArgument() throws {
        let table: [PluginOption] = [.string("realm", help: "")]
        XCTAssertEqual(try Realm(PluginOptions([], table: table), default: "portcullis").text, "portcullis")
        XCTAssertEqual(try Realm(PluginOptions([("realm", "files")], table: table), default: "portcullis").text, "files")
        XCTAssertThrowsError(try Realm(PluginOptions([("realm", "a\nb")], table: table), default: "portcullis")) { error in
            XCTAssertEqual(error as? PluginConfigurationError, PluginConfigurationError("argument 'realm' must not contain control characters"))
        }
    }

    /// The option table's own errors and a plugin's are one type: the host shows either the same way.
    func testOneConfigurationErrorType() {
        XCTAssertThrowsError(try PluginOptions([("nope", "1")], table: [])) { error in
            XCTAssertTrue(error is PluginConfigurationError)
            XCTAssertEqual("\(error)", "unknown argument 'nope' (this plugin accepts: none)")
        }
    }
}
