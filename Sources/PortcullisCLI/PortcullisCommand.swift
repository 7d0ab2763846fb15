import ArgumentParser
import Logging
import PortcullisRuntime

#if canImport(Glibc)
import Glibc
#endif

@main
struct PortcullisCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "PAM-style pluggable HTTP authentication.",
        subcommands: [CheckCommand.self, ServeCommand.self, ReloadCommand.self, ConfigCommand.self, PluginsCommand.self, HashCommand.self, TokenCommand.self,
                      LockoutCommand.self]
    )

    /// Exit codes: 0 allow / success, 1 deny, 2 usage or configuration error.
    static func main() {
        // JSON decision lines ([log] format = "json") bare, everything else as swift-log prints it.
        LoggingSystem.bootstrap { DecisionLineHandler(wrapping: StreamLogHandler.standardError(label: $0)) }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            writeError(fullMessage(for: error))
            Glibc.exit(2)
        }
    }
}

func writeError(_ message: String) {
    let line = message.hasSuffix("\n") ? message : message + "\n"
    _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
}
