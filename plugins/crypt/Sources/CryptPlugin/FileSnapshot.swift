#if canImport(Glibc)
import Glibc
#endif

/// A file's bytes and the identity they were read with (device, inode, size, modification and change time),
/// taken from the same descriptor so they always belong together.
///
/// Plain POSIX calls rather than Foundation: a few lines, and the plugin needs `st_ino`/`st_mtim`.
struct FileSnapshot: Sendable {
    struct Identity: Sendable, Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int
        /// Also the inode change time: a chmod that makes the file unreadable is noticed and logged.
        var changedSeconds: Int
        var changedNanoseconds: Int
    }

    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    let identity: Identity
    let contents: [UInt8]

    /// Largest file accepted: a password file is small; a huge one is a mistake (or /dev/zero).
    static let maximumSize = 64 << 20

    static func read(_ path: String) throws(ReadError) -> FileSnapshot {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReadError(description: "\(path): cannot open: \(errorText())") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw ReadError(description: "\(path): cannot stat: \(errorText())") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw ReadError(description: "\(path): not a regular file") }
        guard info.st_size <= maximumSize else { throw ReadError(description: "\(path): larger than \(maximumSize) bytes") }

        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(description: "\(path): cannot read: \(errorText())")
            }
            if count == 0 { break }
            contents.append(contentsOf: buffer[..<count])
            guard contents.count <= maximumSize else { throw ReadError(description: "\(path): larger than \(maximumSize) bytes") }
        }
        return FileSnapshot(identity: Identity(info), contents: contents)
    }

    /// The identity of whatever is at `path` now (following symlinks), or nil if it cannot be stat'ed.
    static func identity(of path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Identity(info)
    }
}

extension FileSnapshot.Identity {
    init(_ info: stat) {
        self.init(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modifiedSeconds: info.st_mtim.tv_sec, modifiedNanoseconds: info.st_mtim.tv_nsec,
            changedSeconds: info.st_ctim.tv_sec, changedNanoseconds: info.st_ctim.tv_nsec)
    }
}

private func errorText() -> String {
    String(cString: strerror(errno))
}
