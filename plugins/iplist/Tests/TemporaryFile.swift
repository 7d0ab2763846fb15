import Foundation
import PortcullisTestSupport

/// A file in a fresh temporary directory, removed when the test ends.
final class TemporaryFile: Sendable {
    let directory: URL
    let path: String

    init(name: String = "list.txt", contents: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("iplist-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent(name).path
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
    }

    /// Replaces the file as deploy tools do: write a new file, rename it over the old one.
    func replace(with contents: String) throws {
        try TestSupport.replaceAtomically(URL(fileURLWithPath: path), with: contents)
    }

    /// Rewrites the file in place (same inode), as an editor might.
    func rewrite(with contents: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(contents.utf8))
        try handle.close()
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}
