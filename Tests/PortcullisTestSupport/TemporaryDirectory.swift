public import Foundation
public import XCTest

extension TestSupport {
    /// A fresh directory, removed when `test` ends (whether it passed or not).
    public static func temporaryDirectoryURL(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-test-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The same as `temporaryDirectoryURL(_:)`, as a path.
    public static func temporaryDirectory(_ test: XCTestCase) throws -> String {
        try temporaryDirectoryURL(test).path
    }
}
