#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let systemRead = Darwin.read
#endif

/// A file's bytes and the stamp of exactly the version they were read from: both come from the
/// same open descriptor, so a rename over the file between the two cannot pair one version's
/// bytes with another's stamp.
///
/// Plain POSIX calls rather than Foundation: a few lines, no Foundation in plugin images, and
/// Foundation does not give the inode or the nanosecond times.
public struct FileSnapshot: Sendable {
    /// The path as given to `read`.
    public let path: String
    public let bytes: [UInt8]
    public let stamp: FileStamp

    /// Largest file `read` accepts unless told otherwise: the files plugins watch (password
    /// files, key sets, address lists) are small; a huge one is a mistake.
    public static let defaultMaximumSize = 64 << 20

    /// Reads the regular file at `path` (following symbolic links), at most `maximumSize` bytes.
    ///
    /// Opened with `O_NONBLOCK` and checked on the descriptor before anything is read: a FIFO
    /// put in the file's place would otherwise block the open until a writer came, and a device
    /// such as /dev/zero would never end. (On a regular file the flag changes nothing.)
    public static func read(_ path: String, maximumSize: Int = defaultMaximumSize) throws(FileReadError) -> FileSnapshot {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw FileReadError(path: path, step: .open) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileReadError(path: path, step: .stat) }
        // Not a directory, a FIFO or a device.
        guard info.st_mode & S_IFMT == S_IFREG else { throw FileReadError(path: path, reason: "not a regular file") }
        guard info.st_size <= maximumSize else { throw FileReadError(path: path, reason: "larger than \(maximumSize) bytes") }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileReadError(path: path, step: .read)
            }
            // The file may grow while it is read: the limit holds for what is read, too.
            guard bytes.count + count <= maximumSize else {
                throw FileReadError(path: path, reason: "larger than \(maximumSize) bytes")
            }
            bytes.append(contentsOf: chunk[..<count])
        }
        return FileSnapshot(path: path, bytes: bytes, stamp: FileStamp(info))
    }
}

/// Why `FileSnapshot.read` failed. The description names the file and the cause, e.g.
/// `/etc/portcullis/users: cannot open: Permission denied`; never any of its contents.
public struct FileReadError: Error, Equatable, CustomStringConvertible {
    /// The system call that failed.
    public enum Step: String, Sendable {
        case open, stat, read
    }

    public let path: String
    /// The call that failed, or nil when the file was opened but is not acceptable.
    public let step: Step?
    /// The system's error text (`strerror`), or why the file is not acceptable
    /// ("not a regular file", "larger than N bytes").
    public let reason: String

    public init(path: String, step: Step? = nil, reason: String) {
        self.path = path
        self.step = step
        self.reason = reason
    }

    /// The failure of `step`, explained by the current `errno`.
    init(path: String, step: Step) {
        self.init(path: path, step: step, reason: String(cString: strerror(errno)))
    }

    public var description: String {
        guard let step else { return "\(path): \(reason)" }
        return "\(path): cannot \(step.rawValue): \(reason)"
    }
}
