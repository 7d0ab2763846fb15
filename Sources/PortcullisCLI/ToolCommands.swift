import ArgumentParser
import Portcullis

#if canImport(Glibc)
import Glibc
#endif

/// `portcullis hash …` runs `portcullis-hash`, which ships with the crypt plugin: the host
/// executable itself links neither libcrypt nor any plugin code.
struct HashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash", abstract: "Hash a password for a crypt plugin file (runs portcullis-hash).")

    @Argument(parsing: .captureForPassthrough, help: "Arguments for portcullis-hash (see portcullis hash --help).")
    var arguments: [String] = []

    func run() throws { try execTool("portcullis-hash", arguments) }
}

/// `portcullis token …` runs `portcullis-token`, which ships with the hmac plugin; `revoke` and
/// `revocations` talk to a running daemon instead (they need no plugin code).
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Issue or verify HMAC bearer tokens (runs portcullis-token); revoke or list revocations (token revoke, token revocations).")

    @Argument(parsing: .captureForPassthrough, help: "Arguments for portcullis-token (see portcullis token --help), or revoke / revocations (see portcullis token revoke --help).")
    var arguments: [String] = []

    func run() throws {
        let admin: [String: any ParsableCommand.Type] = ["revoke": TokenRevokeCommand.self, "revocations": TokenRevocationsCommand.self]
        guard let first = arguments.first, let command = admin[first] else { return try execTool("portcullis-token", arguments) }
        do {
            var parsed = try command.parseAsRoot(Array(arguments.dropFirst()))
            try parsed.run()
        } catch {
            command.exit(withError: error)
        }
    }
}

/// Replaces this process with `tool` from the directory of the running executable.
private func execTool(_ tool: String, _ arguments: [String]) throws {
    // Tools live beside the executable, whatever the plugin directory is.
    let path = "\(PluginLoader.executableDirectory())/\(tool)"
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    execv(path, argv)
    writeError("portcullis: cannot run \(path): \(String(cString: strerror(errno))) (is the plugin that ships it built?)")
    throw ExitCode(2)
}
