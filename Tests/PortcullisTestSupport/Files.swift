public import Foundation

extension TestSupport {
    /// Writes `text` as UTF-8 to `path`, replacing the file (atomically, so a watcher never sees half).
    public static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Replaces `url` as deploy tools and operators rotating keys do: write a sibling, rename it over.
    /// The file gets a new inode, which is what reload logic must notice.
    public static func replaceAtomically(_ url: URL, with text: String) throws {
        let staging = url.deletingLastPathComponent().appendingPathComponent(".\(UUID().uuidString).tmp")
        try Data(text.utf8).write(to: staging)
        guard rename(staging.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
