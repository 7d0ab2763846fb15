import Foundation
import Logging
import NIOCore
import NIOPosix
import Portcullis
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// `[server] admin_socket`: the Unix socket `portcullis lockout` talks to. Only the daemon's user
/// (and root) can connect: the socket is created mode 0600, and the daemon refuses to start when
/// another user could replace it (its directory writable by group or others). One request line
/// per connection, one answer line (``LockoutAdmin``). Nothing reachable over HTTP resets a lock.
struct AdminSocket: Service {
    let path: String
    let admin: LockoutAdmin
    let logger: Logger

    /// The socket's directory must exist and be writable by its owner only.
    static func checkDirectory(of path: String) throws(AdminSocketError) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        var info = stat()
        guard stat(directory.isEmpty ? "/" : directory, &info) == 0 else {
            throw AdminSocketError("cannot use server.admin_socket \(path): \(directory): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & 0o170000 == 0o040000 else { throw AdminSocketError("server.admin_socket \(path): \(directory) is not a directory") }
        // S_IWGRP | S_IWOTH
        guard info.st_mode & 0o022 == 0 else {
            throw AdminSocketError("server.admin_socket \(path): \(directory) is writable by group or others; "
                                   + "make it writable by the daemon's user only (chmod 755 or 700)")
        }
    }

    func run() async throws {
        try Self.checkDirectory(of: path)
        // The socket file takes its mode from the umask when bind() creates it: with 077 nobody
        // else can connect, not even between bind() and the chmod below. Done before any other
        // file is created (the pid file is written first).
        let previous = umask(0o077)
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            defer { umask(previous) }
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        }
        guard chmod(path, 0o600) == 0 else { throw AdminSocketError("chmod 0600 \(path): \(String(cString: strerror(errno)))") }
        logger.info("admin socket listening", metadata: ["admin_socket": "\(path)"])
        defer { unlink(path) }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    /// Reads one line (at most 64 KB), answers it, closes.
    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var line: [UInt8] = []
            reading: for try await buffer in inbound {
                for byte in buffer.readableBytesView {
                    if byte == UInt8(ascii: "\n") { break reading }
                    line.append(byte)
                }
                if line.count > 65_536 { break }
            }
            let answer = line.count > 65_536 ? LockoutAdmin.failure("request too long") : await admin.answer(line)
            var data = (try? JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys])) ?? Data(#"{"ok":false}"#.utf8)
            data.append(UInt8(ascii: "\n"))
            try await outbound.write(ByteBuffer(bytes: data))
        }
    }
}

struct AdminSocketError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
