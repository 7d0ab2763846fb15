import Dispatch
import Foundation
import PortcullisPluginKit
import Synchronization
import PortcullisTestSupport
import XCTest

/// The SDK's reload-on-change facility (`FileStamp`, `FileSnapshot`, `WatchedFile`) that the
/// crypt, hmac and iplist plugins share, tested on its own with a trivial file format.
final class WatchedFileTests: XCTestCase {
    /// The test format: one decimal number; anything else is a bad file.
    struct NotANumber: Error, CustomStringConvertible {
        let description: String
    }

    static func number(_ snapshot: FileSnapshot) throws -> Int {
        let text = String(decoding: snapshot.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = Int(text) else { throw NotANumber(description: "\(snapshot.path): not a number") }
        return value
    }

    /// Collects what a `WatchedFile` reports, as (kind, detail) lines.
    final class Reports: Sendable {
        private let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }

        func record<Value>(_ change: WatchedFile<Value>.Reload) {
            let line: String
            switch change {
            case .reloaded(let value): line = "reloaded \(value)"
            case .failed(let error, let kept): line = "failed \(error); keeping \(kept)"
            case .unchanged: line = "unchanged"
            case .changing: line = "changing"
            }
            lines.withLock { $0.append(line) }
        }
    }

    func file(_ text: String, name: String = "value") throws -> String {
        let url = try TestSupport.temporaryDirectoryURL(self).appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func replace(_ path: String, with text: String) throws {
        try TestSupport.replaceAtomically(URL(fileURLWithPath: path), with: text)
    }

    func watch(_ path: String, interval: Duration = .zero, maximumSize: Int = FileSnapshot.defaultMaximumSize, reports: Reports) throws -> WatchedFile<Int> {
        try WatchedFile(path: path, interval: interval, maximumSize: maximumSize, report: { reports.record($0) }, load: Self.number)
    }

    // MARK: FileStamp and FileSnapshot

    func testSnapshotHoldsTheBytesAndTheStampOfTheVersionRead() throws {
        let path = try file("hello\n")
        let snapshot = try FileSnapshot.read(path)
        XCTAssertEqual(snapshot.path, path)
        XCTAssertEqual(snapshot.bytes, Array("hello\n".utf8))
        XCTAssertEqual(snapshot.stamp, FileStamp(path: path))
        XCTAssertEqual(snapshot.stamp.size, 6)

        // Replaced by rename: the old snapshot keeps the old inode's stamp.
        try replace(path, with: "hello\n")
        let after = try XCTUnwrap(FileStamp(path: path))
        XCTAssertNotEqual(after.inode, snapshot.stamp.inode)
        XCTAssertNotEqual(after, snapshot.stamp)
    }

    func testStampChangesWithAnEditInPlaceAndWithAChmod() throws {
        let path = try file("1\n")
        let first = try XCTUnwrap(FileStamp(path: path))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data("22\n".utf8))
        try handle.close()
        let edited = try XCTUnwrap(FileStamp(path: path))
        XCTAssertEqual(edited.inode, first.inode)
        XCTAssertNotEqual(edited, first)

        // Same bytes, same size, same mtime: only the change time tells. The kernel stamps
        // times from a coarse clock, so let one tick pass first.
        usleep(50_000)
        XCTAssertEqual(chmod(path, 0o600), 0)
        let chmodded = try XCTUnwrap(FileStamp(path: path))
        XCTAssertEqual(chmodded.size, edited.size)
        XCTAssertEqual(chmodded.modifiedSeconds, edited.modifiedSeconds)
        XCTAssertEqual(chmodded.modifiedNanoseconds, edited.modifiedNanoseconds)
        XCTAssertNotEqual(chmodded, edited, "a chmod changes the stamp")
        XCTAssertNil(FileStamp(path: path + ".missing"))
    }

    func testReadErrorsNameTheFileAndTheCause() throws {
        let missing = try TestSupport.temporaryDirectoryURL(self).appendingPathComponent("missing").path
        XCTAssertThrowsError(try FileSnapshot.read(missing)) { error in
            XCTAssertEqual(error as? FileReadError, FileReadError(path: missing, step: .open, reason: "No such file or directory"))
            XCTAssertEqual("\(error)", "\(missing): cannot open: No such file or directory")
        }
        let directory = try TestSupport.temporaryDirectoryURL(self).path
        XCTAssertThrowsError(try FileSnapshot.read(directory)) { error in
            XCTAssertEqual("\(error)", "\(directory): not a regular file")
        }
        XCTAssertThrowsError(try FileSnapshot.read("/dev/zero")) { error in
            XCTAssertEqual("\(error)", "/dev/zero: not a regular file", "a device that never ends is refused before reading")
        }
        let five = try file("12345")
        XCTAssertEqual(try FileSnapshot.read(five, maximumSize: 5).bytes.count, 5)
        XCTAssertThrowsError(try FileSnapshot.read(five, maximumSize: 4)) { error in
            XCTAssertEqual("\(error)", "\(five): larger than 4 bytes")
        }
    }

    // MARK: WatchedFile

    func testTheFirstLoadThrows() throws {
        let missing = try TestSupport.temporaryDirectoryURL(self).appendingPathComponent("missing").path
        XCTAssertThrowsError(try watch(missing, reports: Reports())) { XCTAssertTrue($0 is FileReadError, "\($0)") }
        let bad = try file("seven\n")
        XCTAssertThrowsError(try watch(bad, reports: Reports())) { XCTAssertEqual("\($0)", "\(bad): not a number") }
    }

    func testAChangeIsReloadedAndReportedOnce() throws {
        let path = try file("1\n")
        let reports = Reports()
        let watched = try watch(path, reports: reports)
        XCTAssertEqual(watched.value, 1)
        guard case .unchanged = watched.reloadIfChanged() else { return XCTFail("nothing changed") }

        try replace(path, with: "2\n")
        guard case .reloaded(2) = watched.reloadIfChanged() else { return XCTFail("the new version must be loaded") }
        XCTAssertEqual(watched.value, 2)
        XCTAssertEqual(watched.current(), 2)
        guard case .unchanged = watched.reloadIfChanged() else { return XCTFail("loaded once per change") }
        XCTAssertEqual(reports.all, ["reloaded 2"], "the initial load is not reported; unchanged looks are not")
    }

    func testABadVersionKeepsTheOldValueAndIsReportedOncePerChange() throws {
        let path = try file("1\n")
        let reports = Reports()
        let watched = try watch(path, reports: reports)

        try replace(path, with: "one\n")
        guard case .failed(let error, keeping: 1) = watched.reloadIfChanged() else { return XCTFail("a bad file must fail") }
        XCTAssertEqual("\(error)", "\(path): not a number")
        XCTAssertEqual(watched.value, 1)
        guard case .unchanged = watched.reloadIfChanged() else { return XCTFail("the same bad version is not tried again") }

        try FileManager.default.removeItem(atPath: path)
        guard case .failed(let missing, keeping: 1) = watched.reloadIfChanged() else { return XCTFail("a removed file must fail") }
        XCTAssertEqual(missing as? FileReadError, FileReadError(path: path, step: .open, reason: "No such file or directory"))
        XCTAssertEqual(watched.value, 1)

        // current() schedules the look in the background; the new version follows soon after.
        try replace(path, with: "3\n")
        XCTAssertTrue(TestSupport.eventually { watched.current() == 3 })
        XCTAssertEqual(reports.all, [
            "failed \(path): not a number; keeping 1",
            "failed \(path): cannot open: No such file or directory; keeping 1",
            "reloaded 3",
        ])
    }

    func testTheSizeLimitHoldsForReloads() throws {
        let path = try file("1\n")
        let reports = Reports()
        let watched = try watch(path, maximumSize: 4, reports: reports)
        try replace(path, with: "12345\n")
        guard case .failed(let error, keeping: 1) = watched.reloadIfChanged() else { return XCTFail("too large") }
        XCTAssertEqual("\(error)", "\(path): larger than 4 bytes")
        XCTAssertEqual(watched.value, 1)
    }

    func testCurrentLooksAtMostOncePerInterval() throws {
        let path = try file("1\n")
        let reports = Reports()
        let lazy = try watch(path, interval: .seconds(3600), reports: reports)
        let eager = try watch(path, interval: .zero, reports: reports)
        try replace(path, with: "2\n")
        XCTAssertEqual(lazy.current(), 1, "not looked at again within the interval")
        XCTAssertTrue(TestSupport.eventually { eager.current() == 2 }, "interval zero looks whenever no look is pending")
        XCTAssertEqual(lazy.current(), 1, "still not looked at within the interval")
        // The explicit look (a timer's) ignores the interval.
        guard case .reloaded(2) = lazy.reloadIfChanged() else { return XCTFail("reloadIfChanged always looks") }
        XCTAssertEqual(lazy.current(), 2)
    }

    func testSeveralFilesLoadTogetherOrNotAtAll() throws {
        let first = try file("1\n", name: "first")
        let second = try file("10\n", name: "second")
        let reports = Reports()
        let sum = try WatchedFile(paths: [first, second], interval: .zero, report: { reports.record($0) }) { snapshots in
            XCTAssertEqual(snapshots.map(\.path), [first, second], "one snapshot per path, in order")
            return try snapshots.map(Self.number).reduce(0, +)
        }
        XCTAssertEqual(sum.value, 11)

        try replace(first, with: "2\n")
        try replace(second, with: "twenty\n")
        guard case .failed(_, keeping: 11) = sum.reloadIfChanged() else { return XCTFail("one bad file fails the whole load") }
        XCTAssertEqual(sum.current(), 11, "the good file's new version is not put in force alone")

        try replace(second, with: "20\n")
        XCTAssertTrue(TestSupport.eventually { sum.current() == 22 })
        XCTAssertEqual(reports.all, ["failed \(second): not a number; keeping 11", "reloaded 22"])
    }

    /// A writer that changes the file while it is loaded: the version read may be torn, so it is
    /// neither put in force nor reported, and the next look loads the settled file.
    func testAFileChangedWhileLoadedIsTriedAgain() throws {
        let path = try file("1\n")
        let reports = Reports()
        let interfere = Mutex<String?>(nil)
        let watched = try WatchedFile(path: path, interval: .zero, report: { reports.record($0) }) { snapshot in
            if let text = interfere.withLock({ value in defer { value = nil }; return value }) {
                try Data(text.utf8).write(to: URL(fileURLWithPath: snapshot.path))
            }
            return try Self.number(snapshot)
        }

        try replace(path, with: "2\n")
        interfere.withLock { $0 = "33\n" }  // rewritten in place during the load of "2"
        guard case .changing = watched.reloadIfChanged() else { return XCTFail("a file changed while read must be tried again") }
        XCTAssertEqual(watched.value, 1)
        guard case .reloaded(33) = watched.reloadIfChanged() else { return XCTFail("the settled file must load") }

        // A half-written file that fails to parse is no operator's error: not reported either.
        try replace(path, with: "not yet")
        interfere.withLock { $0 = "44\n" }
        guard case .changing = watched.reloadIfChanged() else { return XCTFail("a failure while the file changes is not reported") }
        XCTAssertTrue(TestSupport.eventually { watched.current() == 44 })
        XCTAssertEqual(reports.all, ["reloaded 33", "reloaded 44"])
    }

    /// A request that finds a look due while a reload runs serves the old value, without waiting.
    func testCurrentDoesNotWaitForAReloadInProgress() throws {
        let path = try file("1\n")
        let loading = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let blocking = Mutex(false)
        let watched = try WatchedFile(path: path, interval: .zero) { snapshot in
            if blocking.withLock({ $0 }) {
                loading.signal()
                // A safety net, so a regression fails the test instead of hanging it.
                _ = release.wait(timeout: .now() + 10)
            }
            return try Self.number(snapshot)
        }
        try replace(path, with: "2\n")
        blocking.withLock { $0 = true }
        let reloaded = expectation(description: "the reload finishes")
        let finished = Mutex(false)
        DispatchQueue.global().async {
            let result = watched.reloadIfChanged()
            finished.withLock { $0 = true }
            if case .reloaded(2) = result { reloaded.fulfill() }
        }
        XCTAssertEqual(loading.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(watched.current(), 1, "served the old value while the reload runs")
        XCTAssertFalse(finished.withLock { $0 }, "current() returned without waiting for the reload")
        blocking.withLock { $0 = false }
        release.signal()
        wait(for: [reloaded], timeout: 10)
        XCTAssertEqual(watched.current(), 2)
    }

    /// A file replaced by a FIFO: the open must not wait for a writer, the old value stays, and
    /// the reason names the file. (A FIFO used to block open(2), on the event loop.)
    func testAFIFOInPlaceOfTheFileKeepsTheOldValueWithoutBlocking() throws {
        let path = try file("1\n")
        let reports = Reports()
        let watched = try watch(path, reports: reports)
        try FileManager.default.removeItem(atPath: path)
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        defer {
            // Should the open still block, a writer lets it go, so the suite goes on.
            let writer = open(path, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
        }
        let looked = expectation(description: "the look returns")
        let result = Mutex<String?>(nil)
        DispatchQueue.global().async {
            let line: String
            switch watched.reloadIfChanged() {
            case .failed(let error, keeping: let kept): line = "failed \(error); keeping \(kept)"
            case let other: line = "\(other)"
            }
            result.withLock { $0 = line }
            looked.fulfill()
        }
        wait(for: [looked], timeout: 5)
        XCTAssertEqual(result.withLock { $0 }, "failed \(path): not a regular file; keeping 1")
        XCTAssertEqual(watched.value, 1)
    }

    /// current() never touches the disk: a load that hangs (as a FIFO or a stalled NFS server
    /// would) holds up only the background look, while every caller gets the value in force.
    func testCurrentNeverWaitsForTheDisk() throws {
        let path = try file("1\n")
        let hang = DispatchSemaphore(value: 0)
        let hanging = Mutex(false)
        let watched = try WatchedFile(path: path, interval: .zero) { snapshot in
            if hanging.withLock({ $0 }) { _ = hang.wait(timeout: .now() + 10) }
            return try Self.number(snapshot)
        }
        hanging.withLock { $0 = true }
        try replace(path, with: "2\n")
        let started = Date()
        for _ in 0..<100 { XCTAssertEqual(watched.current(), 1) }
        XCTAssertLessThan(Date().timeIntervalSince(started), 1, "no caller waited for the hanging load")
        hanging.withLock { $0 = false }
        hang.signal()
        XCTAssertTrue(TestSupport.eventually { watched.current() == 2 })
    }

    /// The generation counts the versions put in force (a bad one is not), and reading it
    /// schedules a look like current() does: with every answer cached, it is what sees a change.
    func testTheGenerationCountsNewVersions() throws {
        let path = try file("1\n")
        let watched = try watch(path, reports: Reports())
        XCTAssertEqual(watched.generation, 0)
        try replace(path, with: "oops\n")
        watched.reloadIfChanged()
        XCTAssertEqual(watched.generation, 0, "a bad version is not put in force")
        try replace(path, with: "2\n")
        XCTAssertTrue(TestSupport.eventually { watched.generation == 1 })
        XCTAssertEqual(watched.value, 2)
    }

    func testConcurrentReadersAlwaysSeeAWholeValue() throws {
        let path = try file("0\n")
        let watched = try WatchedFile(path: path, interval: .zero) { snapshot in
            // Two lines that must agree: a torn or mixed value would not.
            let lines = String(decoding: snapshot.bytes, as: UTF8.self).split(separator: "\n")
            return lines.map(String.init)
        }
        let wrong = Mutex(0)
        let url = URL(fileURLWithPath: path)
        DispatchQueue.concurrentPerform(iterations: 400) { index in
            if index % 40 == 0 { try? TestSupport.replaceAtomically(url, with: "\(index)\n\(index)\n") }
            let value = watched.current()
            if value.count == 2, value[0] != value[1] { wrong.withLock { $0 += 1 } }
        }
        XCTAssertEqual(wrong.withLock { $0 }, 0)
        _ = watched.reloadIfChanged()
        let last = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(watched.value, last, "settles on the last version written")
    }
}
