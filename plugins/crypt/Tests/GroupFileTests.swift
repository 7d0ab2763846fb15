import Foundation
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

@testable import CryptPlugin

/// `groups_file`: Apache's AuthGroupFile format, strictly, and the `groups` attribute on allow.
final class GroupFileTests: XCTestCase {
    func groups(_ text: String) throws -> GroupFile {
        try GroupFile(path: "groups", contents: Array(text.utf8))
    }

    func testApacheFormat() throws {
        let file = try groups("""
            # comment
            admins: alice bob
            staff:alice\tcarol

              staff: bob alice
            empty:
            """)
        XCTAssertEqual(file.groupCount, 3)
        XCTAssertEqual(file.attributes(of: Array("alice".utf8)), [Attribute("groups", "admins,staff")])
        XCTAssertEqual(file.attributes(of: Array("bob".utf8)), [Attribute("groups", "admins,staff")])
        XCTAssertEqual(file.attributes(of: Array("carol".utf8)), [Attribute("groups", "staff")])
        XCTAssertEqual(file.attributes(of: Array("dave".utf8)), [])
        XCTAssertEqual(file.attributes(of: Array("Alice".utf8)), [], "user names are compared byte for byte")
    }

    func testMalformedLinesAreErrorsWithFileAndLine() {
        for (text, expected) in [
            ("admins: a\nadmins b\n", "groups:2: expected 'group: user user …'"),
            (": alice\n", "groups:1: the group name is empty"),
            ("a,b: alice\n", "groups:1: the group name is empty, not UTF-8, or has a space, a control character or ','"),
            ("my group: alice\n", "groups:1: the group name"),
        ] {
            XCTAssertThrowsError(try groups(text), text) { error in
                XCTAssertTrue("\(error)".hasPrefix(expected), "\(error)")
            }
        }
    }

    func testAllowCarriesTheGroupsAndAReloadChangesThem() throws {
        let hash = try firstLine(runTool("htpasswd", ["-nbB", "-C", "4", "alice", "secret"]))
        let passwords = try writeFile(self, [hash])
        let groupsPath = try writeFile(self, ["admins: alice"], name: "groups")
        let log = LogRecorder()
        let plugin = try makePlugin([("file", passwords), ("groups_file", groupsPath)], log: log.log)
        guard case .allow(let identity, _, _) = plugin.check("alice", "secret") else { return XCTFail() }
        XCTAssertEqual(identity.attributes, [Attribute("groups", "admins")])
        let before = plugin.generation

        try TestSupport.replaceAtomically(URL(fileURLWithPath: groupsPath), with: "admins: alice\nops: alice\n")
        XCTAssertTrue(TestSupport.eventually {
            if case .allow(let identity, _, _) = plugin.check("alice", "secret") { identity.attributes == [Attribute("groups", "admins,ops")] } else { false }
        })
        XCTAssertNotEqual(plugin.generation, before, "cached answers with the old groups stop counting")

        try TestSupport.replaceAtomically(URL(fileURLWithPath: groupsPath), with: "admins alice\n")
        XCTAssertTrue(TestSupport.eventually {
            _ = plugin.check("alice", "secret")  // a check schedules the look at the file
            return log.all.contains { $0.0 == .error && $0.1.contains("groups:1:") && $0.1.contains("keeping the previous groups") }
        })
        guard case .allow(let kept, _, _) = plugin.check("alice", "secret") else { return XCTFail() }
        XCTAssertEqual(kept.attributes, [Attribute("groups", "admins,ops")])
    }

    func testAMissingGroupFileIsAConfigurationError() throws {
        let hash = try firstLine(runTool("htpasswd", ["-nbB", "-C", "4", "alice", "secret"]))
        let passwords = try writeFile(self, [hash])
        XCTAssertThrowsError(try makePlugin([("file", passwords), ("groups_file", "/nonexistent/groups")]))
    }
}
