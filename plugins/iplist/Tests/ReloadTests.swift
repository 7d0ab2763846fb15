import Foundation
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

@testable import IplistPlugin

/// List files are re-read when they change, swapped in whole, and a bad version keeps the
/// old lists in force.
final class ReloadTests: XCTestCase {
    private func action(_ lists: ReloadingPolicy, _ address: String) -> ListAction? {
        lists.policy.list.action(for: IPAddress(address)!)
    }

    func testUnchangedFilesAreNotReloaded() throws {
        let file = try TemporaryFile(contents: "10.0.0.0/8\n")
        let lists = try ReloadingPolicy(sources: ListSources(denyFiles: [file.path]))
        XCTAssertEqual(lists.reloadIfChanged(), .unchanged)
        XCTAssertEqual(action(lists, "10.1.1.1"), .deny)
    }

    func testReplacedFileIsReloaded() throws {
        let file = try TemporaryFile(contents: "10.0.0.0/8\n")
        let lists = try ReloadingPolicy(sources: ListSources(denyFiles: [file.path]))
        try file.replace(with: "192.0.2.0/24\n")
        XCTAssertEqual(lists.reloadIfChanged(), .reloaded)
        XCTAssertNil(action(lists, "10.1.1.1"))
        XCTAssertEqual(action(lists, "192.0.2.9"), .deny)
        XCTAssertEqual(lists.reloadIfChanged(), .unchanged)
    }

    func testFileRewrittenInPlaceIsReloaded() throws {
        let file = try TemporaryFile(contents: "10.0.0.0/8\n")
        let lists = try ReloadingPolicy(sources: ListSources(allowFiles: [file.path]))
        try file.rewrite(with: "10.0.0.0/8\n172.16.0.0/12\n")
        XCTAssertEqual(lists.reloadIfChanged(), .reloaded)
        XCTAssertEqual(action(lists, "172.16.0.1"), .allow)
    }

    func testBadFileKeepsTheOldListsAndNamesTheLine() throws {
        let file = try TemporaryFile(contents: "10.0.0.0/8\n")
        let lists = try ReloadingPolicy(sources: ListSources(denyFiles: [file.path]))
        let before = lists.policy.list
        try file.replace(with: "192.0.2.0/24\n# a typo follows\n192.0.2.1/24\n")
        XCTAssertEqual(
            lists.reloadIfChanged(),
            .failed(ListError(source: file.path, line: 3, message: "'192.0.2.1/24' has host bits set (did you mean 192.0.2.0/24?)")))
        XCTAssertTrue(lists.policy.list === before, "the previous lists stay in force")
        XCTAssertEqual(action(lists, "10.1.1.1"), .deny)
        XCTAssertNil(action(lists, "192.0.2.9"))
        // Reported once per change, not at every poll.
        XCTAssertEqual(lists.reloadIfChanged(), .unchanged)
        // Fixed: the new version goes in.
        try file.replace(with: "192.0.2.0/24\n")
        XCTAssertEqual(lists.reloadIfChanged(), .reloaded)
        XCTAssertEqual(action(lists, "192.0.2.9"), .deny)
    }

    func testRemovedFileKeepsTheOldLists() throws {
        let file = try TemporaryFile(contents: "10.0.0.0/8\n")
        let lists = try ReloadingPolicy(sources: ListSources(denyFiles: [file.path]))
        try FileManager.default.removeItem(atPath: file.path)
        guard case .failed(let error) = lists.reloadIfChanged() else { return XCTFail("a missing file must fail the reload") }
        XCTAssertEqual(error.source, file.path)
        XCTAssertEqual(error.message, "No such file or directory")
        XCTAssertEqual(action(lists, "10.1.1.1"), .deny)
    }

    func testOneBadFileOfTwoKeepsBothOld() throws {
        let allow = try TemporaryFile(name: "allow.txt", contents: "10.0.0.0/8\n")
        let deny = try TemporaryFile(name: "deny.txt", contents: "10.9.0.0/16\n")
        let lists = try ReloadingPolicy(sources: ListSources(allowFiles: [allow.path], denyFiles: [deny.path]))
        try allow.replace(with: "10.0.0.0/8\n11.0.0.0/8\n")
        try deny.replace(with: "10.9.0.0/16\nbogus\n")
        guard case .failed(let error) = lists.reloadIfChanged() else { return XCTFail("expected a failure") }
        XCTAssertEqual(error.description, "\(deny.path):2: 'bogus' is not an IP address or CIDR prefix")
        XCTAssertNil(action(lists, "11.0.0.1"), "the good file's new version is not put in force alone")
    }

    func testMissingOrBadFileFailsCreation() throws {
        XCTAssertThrowsError(try ReloadingPolicy(sources: ListSources(allowFiles: ["/nonexistent/iplist/allow.txt"]))) {
            XCTAssertEqual(String(describing: $0), "/nonexistent/iplist/allow.txt: No such file or directory")
        }
        let file = try TemporaryFile(contents: "1.2.3.4\n1.2.3.4/33\n")
        XCTAssertThrowsError(try ReloadingPolicy(sources: ListSources(allowFiles: [file.path]))) {
            XCTAssertEqual(String(describing: $0), "\(file.path):2: '1.2.3.4/33' has an invalid prefix length")
        }
        XCTAssertThrowsError(try ReloadingPolicy(sources: ListSources(allowFiles: [file.directory.path]))) {
            XCTAssertEqual(String(describing: $0), "\(file.directory.path): not a regular file")
        }
    }

    func testChecksDuringReloadsAlwaysSeeAWholeList() throws {
        // Two versions that disagree on every probe: a half-swapped list would show a mix.
        let file = try TemporaryFile(contents: "10.0.0.0/8\n")
        let lists = try ReloadingPolicy(sources: ListSources(allow: [try IPPrefix(parsing: "0.0.0.0/0")], denyFiles: [file.path]))
        let stop = ManagedAtomicFlag()
        let reader = Thread {
            while !stop.isSet {
                let policy = lists.policy
                let first = policy.list.action(for: .v4(0x0A00_0001))
                let second = policy.list.action(for: .v4(0xC000_0201))
                if first == second { stop.fail() }
            }
        }
        reader.start()
        for round in 0..<20 {
            try file.replace(with: round % 2 == 0 ? "192.0.2.0/24\n" : "10.0.0.0/8\n")
            XCTAssertEqual(lists.reloadIfChanged(), .reloaded)
        }
        stop.set()
        while !reader.isFinished { usleep(1000) }
        XCTAssertFalse(stop.failed)
    }

    func testPluginWatchesItsFiles() throws {
        let file = try TemporaryFile(contents: "10.0.0.0/8\n")
        let options = try PluginOptions([("deny_file", file.path), ("reload_interval", "1")], table: IplistPlugin.options)
        // The watcher's timer fires every 10 ms here instead of every second.
        let plugin = try IplistPlugin(options: options, host: .none, watchInterval: .milliseconds(10))
        XCTAssertEqual(plugin.lists.policy.decide(IPAddress("10.0.0.1")), .deny(.ipNotAllowed, detail: "client address on the deny list"))
        try file.replace(with: "192.0.2.0/24\n")
        XCTAssertTrue(TestSupport.eventually { plugin.lists.policy.list.action(for: IPAddress("10.0.0.1")!) == nil })
        XCTAssertNil(plugin.lists.policy.list.action(for: IPAddress("10.0.0.1")!))
        XCTAssertEqual(plugin.lists.policy.list.action(for: IPAddress("192.0.2.1")!), .deny)
    }
}

/// A flag shared with a reader thread.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var sawMix = false
    var isSet: Bool { lock.withLock { stopped } }
    var failed: Bool { lock.withLock { sawMix } }
    func set() { lock.withLock { stopped = true } }
    func fail() { lock.withLock { sawMix = true; stopped = true } }
}
