public import ArgumentParser
import CryptPlugin

#if canImport(Glibc)
import Glibc
#endif

/// `portcullis hash`: prints a hash (or `user:hash`) for the crypt plugin's files. A separate
/// executable so the host never links libcrypt or plugin code; `portcullis hash` execs it.
@main
struct PortcullisHash: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis hash",
        abstract: "Hash a password for a crypt plugin file.",
        discussion: "Reads the password from the terminal without echo (asked twice), or from standard input "
            + "when it is not a terminal (one line; the final newline is not part of the password).")

    @Option(help: "yescrypt, bcrypt or sha512crypt.")
    var scheme: PasswordHasher.Scheme = .yescrypt

    @Option(help: "Cost: yescrypt 1-11 (default 5), bcrypt 4-31 (default 12), sha512crypt rounds (default 100000).")
    var cost: Int?

    @Option(help: "Print user:hash, an htpasswd line.")
    var user: String?

    func validate() throws {
        if let cost, !scheme.costs.contains(cost) {
            throw ValidationError("--cost for \(scheme.rawValue) must be in \(scheme.costs.lowerBound)...\(scheme.costs.upperBound)")
        }
        if let user, user.isEmpty || user.contains(":") || user.contains(where: \.isNewline) {
            throw ValidationError("--user must be non-empty, without ':' or line breaks")
        }
    }

    func run() throws {
        var password = try readPassword()
        defer { for index in password.indices { password[index] = 0 } }
        let hash: String
        do {
            hash = try PasswordHasher.hash(password, scheme: scheme, cost: cost)
        } catch {
            throw ValidationError(error.description)
        }
        print(user.map { "\($0):\(hash)" } ?? hash)
    }
}

extension PasswordHasher.Scheme: ExpressibleByArgument {}

/// The password as bytes: from the terminal with echo off, or one line of standard input.
private func readPassword() throws -> [UInt8] {
    guard isatty(STDIN_FILENO) == 1 else {
        var line = readAll(STDIN_FILENO)
        if line.last == UInt8(ascii: "\n") { line.removeLast() }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return line
    }
    let first = try promptWithoutEcho("Password: ")
    let second = try promptWithoutEcho("Retype password: ")
    guard first == second else { throw ValidationError("the passwords do not match") }
    return first
}

private func promptWithoutEcho(_ prompt: String) throws -> [UInt8] {
    writeToTerminal(prompt)
    var saved = termios()
    guard tcgetattr(STDIN_FILENO, &saved) == 0 else { throw ValidationError("cannot read the terminal settings") }
    var silent = saved
    silent.c_lflag &= ~tcflag_t(ECHO)
    guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent) == 0 else { throw ValidationError("cannot turn off echo") }
    defer {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
        writeToTerminal("\n")
    }
    var line: [UInt8] = []
    var byte: UInt8 = 0
    while read(STDIN_FILENO, &byte, 1) == 1, byte != UInt8(ascii: "\n") { line.append(byte) }
    return line
}

private func readAll(_ descriptor: Int32) -> [UInt8] {
    var contents: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR { continue }
        if count <= 0 { break }
        contents.append(contentsOf: buffer[..<count])
    }
    return contents
}

/// Prompts go to standard error, so standard output carries only the hash.
private func writeToTerminal(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
