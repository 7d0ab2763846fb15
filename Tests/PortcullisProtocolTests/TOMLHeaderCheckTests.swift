import PortcullisProtocol
import XCTest

/// The table headers toml++ (in TOMLKit) would parse with a broken precondition are found first;
/// what valid TOML puts at the start of a line is left alone.
final class TOMLHeaderCheckTests: XCTestCase {
    func testHeadersWhoseKeyCannotStartAreFound() {
        // From the authz fuzzer, and toml++'s own report (marzer/tomlplusplus#301).
        XCTAssertEqual(TOMLHeaderCheck.badHeaderLine(in: "[[\u{16}rule]]\nname = \"x\"\n"), 1)
        XCTAssertEqual(TOMLHeaderCheck.badHeaderLine(in: "[[[1]]]"), 1)
        XCTAssertEqual(TOMLHeaderCheck.badHeaderLine(in: "a = 1\n[[=\n"), 2)
        XCTAssertEqual(TOMLHeaderCheck.badHeaderLine(in: "[proxy]\n  [ !x]\n"), 2)
        XCTAssertEqual(TOMLHeaderCheck.badHeaderLine(in: "[[\nrule]]"), 1)
        XCTAssertEqual(TOMLHeaderCheck.badHeaderLine(in: "[#x]"), 1)
        // After a byte order mark (the config fuzzer: EF BB BF "[" 1F).
        XCTAssertEqual(TOMLHeaderCheck.badHeaderLine(in: "\u{FEFF}[\u{1F}"), 1)
    }

    func testValidTOMLIsLeftAlone() {
        for text in [
            "[proxy]\ntrusted = [\n  \"10.0.0.0/8\",\n]\n[[stack.default]]\nplugin = \"x\"\n",
            "a = [\n  [1, 2],\n  [ [3] ],\n  { b = 1 },\n]\n[ \"quoted key\" ]\n[[ 'literal' . x ]]\n",
            "s = \"\"\"\n[[!not a header\n\\\"\"\" still in\n\"\"\"\nt = '''\n[=\n'''\n# [[!comment\n",
            "k = \"[[!x\" # [[!\n[_a-b]\n[-]\n[0]\n",
        ] {
            XCTAssertNil(TOMLHeaderCheck.badHeaderLine(in: text), text)
        }
    }
}
