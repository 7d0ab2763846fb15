import ArgumentParser
import Logging
import Portcullis

/// `portcullis config check FILE`: validate without serving, like `nginx -t`.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with configuration files.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate a configuration: parse it, load every plugin, create every instance.",
            discussion: "Exit status: 0 valid, 2 invalid."
        )

        @Argument(help: "The configuration file.")
        var file: String

        func run() throws {
            do {
                let gatekeeper = try Gatekeeper(contentsOf: file, logger: Logger(label: "portcullis"), makeStoreBackend: storeBackendFactory)
                let entries = gatekeeper.configuration.stacks.reduce(0) { $0 + $1.entries.count }
                print("\(file): ok (\(gatekeeper.stackNames.count) stacks, \(entries) entries)")
                for stack in gatekeeper.configuration.stacks {
                    let summary = stack.entries.map { "\($0.control) \($0.plugin)\($0.anonymous ? " (anonymous)" : "")" }.joined(separator: ", ")
                    print("  stack \(stack.name): \(summary)")
                }
                for plugin in gatekeeper.plugins { print("  plugin \(plugin)") }
                for warning in gatekeeper.warnings { print("  warning: \(warning)") }
            } catch {
                writeError("portcullis: \(error)")
                throw ExitCode(2)
            }
        }
    }
}
