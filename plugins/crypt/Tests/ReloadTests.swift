import Foundation
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

@testable import CryptPlugin

/// The plugin notices a changed file and swaps the table; an unreadable file keeps the old one.
final class ReloadTests: XCTestCase {
    func hashLine(_ user: String, _ password: String) throws -> String {
        firstLine(try runTool("htpasswd", ["-n", "-i", "-B", "-C", "4", user], input: Array(password.utf8)))
    }

    func testReplacedFileIsReloaded() throws {
        let recorder = LogRecorder()
        let path = try writeFile(self, [try hashLine("alice", "one")])
        let plugin = try makePlugin([("file", path)], log: recorder.log)
        assertAllowed(plugin.check("alice", "one"), as: "alice")
        assertDenied(plugin.check("bob", "two"), .invalidCredentials)

        // Replaced atomically (new inode), as editors and `htpasswd` do.
        let next = path + ".new"
        try Data(([try hashLine("alice", "two"), try hashLine("bob", "two")].joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: next))
        XCTAssertEqual(rename(next, path), 0)
        // The file is looked at in the background, never by the check itself: soon, not at once.
        XCTAssertTrue(TestSupport.eventually { allows(plugin.check("bob", "two"), "bob") })
        assertDenied(plugin.check("alice", "one"), .invalidCredentials)
        assertAllowed(plugin.check("alice", "two"), as: "alice")
        assertAllowed(plugin.check("bob", "two"), as: "bob")

        // Rewritten in place (same inode, other size and time).
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data((try hashLine("carol", "three") + "\n").utf8))
        try handle.close()
        XCTAssertTrue(TestSupport.eventually { allows(plugin.check("carol", "three"), "carol") })
        assertDenied(plugin.check("bob", "two"), .invalidCredentials)
        XCTAssertEqual(recorder.all.filter { $0.1.contains("loaded 1 users") }.count, 2, "initial load and the rewrite")
    }

    func testUnreadableFileKeepsThePreviousTable() throws {
        let recorder = LogRecorder()
        let path = try writeFile(self, [try hashLine("alice", "one")])
        let plugin = try makePlugin([("file", path)], log: recorder.log)
        try FileManager.default.removeItem(atPath: path)
        for _ in 0..<3 { assertAllowed(plugin.check("alice", "one"), as: "alice") }
        XCTAssertTrue(TestSupport.eventually { recorder.all.contains { $0.0 == .error } })
        for _ in 0..<3 { assertAllowed(plugin.check("alice", "one"), as: "alice") }
        // Further looks (synchronous, as a timer's would be) find the same missing file: no new line.
        for _ in 0..<3 {
            guard case .unchanged = plugin.table.reloadIfChanged() else { return XCTFail("the missing file counted as a new change") }
        }
        let errors = recorder.all.filter { $0.0 == .error }.map(\.1)
        XCTAssertEqual(errors.count, 1, "logged once, not per request: \(errors)")
        XCTAssertTrue(errors.first?.hasPrefix("\(path): cannot open") ?? false, "\(errors)")
        XCTAssertTrue(errors.first?.contains("keeping the previous table (1 users)") ?? false, "\(errors)")

        try Data((try hashLine("dave", "four") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertTrue(TestSupport.eventually { allows(plugin.check("dave", "four"), "dave") })
        assertDenied(plugin.check("alice", "one"), .invalidCredentials)
    }

    func testChangesAreLookedForOncePerInterval() throws {
        let path = try writeFile(self, [try hashLine("alice", "one")])
        let plugin = try makePlugin([("file", path)], checkInterval: .seconds(3600))
        try Data((try hashLine("bob", "two") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        assertAllowed(plugin.check("alice", "one"), as: "alice")
        assertDenied(plugin.check("bob", "two"), .invalidCredentials)
    }

    func testReloadsWhileChecksRun() throws {
        let first = [try hashLine("alice", "one")].joined() + "\n"
        let second = [try hashLine("alice", "two")].joined() + "\n"
        let path = try writeFile(self, [first])
        let plugin = try makePlugin([("file", path)])
        let lock = NSLock()
        nonisolated(unsafe) var unexpected: [String] = []
        DispatchQueue.concurrentPerform(iterations: 120) { index in
            if index % 10 == 0 {
                // Swap the file under the running checks, atomically, as htpasswd does.
                let next = path + ".\(index)"
                try? Data((index % 20 == 0 ? second : first).utf8).write(to: URL(fileURLWithPath: next))
                rename(next, path)
            }
            switch plugin.check("alice", index % 2 == 0 ? "one" : "two") {
            case .allow(let identity, _, _) where identity.principal == "alice": break
            case .deny(.invalidCredentials, _, _, _): break
            case let other: lock.withLock { unexpected.append("\(other)") }
            }
        }
        XCTAssertEqual(unexpected, [])
        // Settled on the last file written: exactly one of the passwords works.
        let allowed = ["one", "two"].filter { if case .allow = plugin.check("alice", $0) { true } else { false } }
        XCTAssertEqual(allowed.count, 1, "\(allowed)")
    }
}
