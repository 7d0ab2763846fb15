import ArgumentParser
import Foundation
import Portcullis

#if canImport(Glibc)
import Glibc
#endif

/// `portcullis lockout list|reset`: the faillock counts and locks of a running daemon, through its
/// `[server] admin_socket` (only the daemon's user and root can connect). Resetting is for
/// operators only: nothing over HTTP does it, so a user cannot clear their own tally.
struct LockoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockout",
        abstract: "List or reset faillock counts and locks of a running daemon.",
        subcommands: [List.self, Reset.self]
    )

    struct Target: ParsableArguments {
        @Option(name: .long, help: "The daemon's admin socket ([server] admin_socket).")
        var socket: String?

        @Option(name: .long, help: "Read the admin socket's path from this configuration file.")
        var config: String?

        func path() throws -> String {
            if let socket { return socket }
            guard let config else { throw ValidationError("give --socket PATH or --config FILE") }
            do {
                guard let path = try Configuration(contentsOf: config).server.adminSocket else {
                    throw ValidationError("\(config) sets no [server] admin_socket")
                }
                return path
            } catch let error as ConfigError {
                throw ValidationError("\(error)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every count and lock: user (- for an address key), address, failures, seconds locked.",
            discussion: "Exit status: 0 listed, 2 the daemon could not be reached.")

        @OptionGroup var target: Target

        func run() throws {
            let answer = try AdminClient.send(["command": "list"], to: target.path())
            print("user\taddress\tcount\tlocked_seconds")
            for entry in answer["entries"] as? [[String: Any]] ?? [] {
                let user = (entry["user"] as? String).map { LogText.escaped($0) } ?? "-"
                print("\(user)\t\(entry["address"] ?? "?")\t\(entry["count"] ?? 0)\t\(entry["locked_seconds"] ?? 0)")
            }
            AdminClient.warnIfLocalOnly(answer, doing: "the list shows this daemon's counts only")
        }
    }

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clear counts and locks: a user-id from an address (and that address's own count), every address of a user-id, or an address.",
            discussion: "The daemon logs each reset at notice level. Exit status: 0 done, 2 the daemon could not be reached.")

        @OptionGroup var target: Target

        @Option(name: .long, help: "The Basic user-id.")
        var user: String?

        @Option(name: .long, help: "The client address (IPv6: its /64).")
        var address: String?

        func validate() throws {
            guard user != nil || address != nil else { throw ValidationError("give --user, --address or both") }
        }

        func run() throws {
            var request: [String: Any] = ["command": "reset"]
            if let user { request["user"] = user }
            if let address { request["address"] = address }
            let answer = try AdminClient.send(request, to: target.path())
            let removed = answer["removed"] as? [[String: Any]] ?? []
            for entry in removed {
                let user = (entry["user"] as? String).map { LogText.escaped($0) } ?? "-"
                print("reset\t\(user)\t\(entry["address"] ?? "?")\t\(entry["count"] ?? 0)\(entry["locked"] as? Bool == true ? "\tlocked" : "")")
            }
            if removed.isEmpty { print("nothing to reset") }
            AdminClient.warnIfLocalOnly(answer, doing: "other daemons keep their locks until the store is back and this is repeated")
        }
    }
}

/// One request line to the admin socket, one answer line back. Plain blocking sockets: a CLI
/// that sends one line needs no event loop.
enum AdminClient {
    static func send(_ request: [String: Any], to path: String) throws -> [String: Any] {
        var line = try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys])
        line.append(UInt8(ascii: "\n"))
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw failure("socket: \(String(cString: strerror(errno)))") }
        defer { close(socket) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw failure("\(path): path too long for a socket") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes + [0]) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw failure("cannot reach the daemon at \(path): \(String(cString: strerror(errno)))") }
        let sent = line.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == line.count else { throw failure("\(path): write failed") }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer += buffer[..<count]
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any] else {
            throw failure("\(path): the daemon's answer is not JSON")
        }
        guard object["ok"] as? Bool == true else { throw failure("the daemon refused: \(object["error"] ?? "no reason given")") }
        return object
    }

    static func warnIfLocalOnly(_ answer: [String: Any], doing consequence: String) {
        if answer["backend"] as? Bool == false {
            writeError("portcullis: warning: the shared store did not answer; \(consequence)")
        }
    }

    private static func failure(_ message: String) -> ExitCode {
        writeError("portcullis: \(message)")
        return ExitCode(2)
    }
}
