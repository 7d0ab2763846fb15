import ArgumentParser
import Portcullis

#if canImport(Glibc)
import Glibc
#endif

/// `portcullis plugins`: which plugins are here, with their versions and ABI; with `--options`,
/// the arguments one of them accepts, as its descriptor describes them.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List plugins: those a configuration uses, or every plugin in the plugin directory.",
        discussion: "With --options NAME, print the arguments plugin NAME accepts: name, kind, whether required, help."
    )

    @Option(name: .long, help: ArgumentHelp("Print the option table of this plugin.", valueName: "name"))
    var options: String?

    @Option(name: .long, help: "List the plugins this configuration loads.")
    var config: String?

    @Option(name: .long, help: "The plugin directory (default: $PORTCULLIS_PLUGIN_DIR, else the default search: see docs/configuration.md).")
    var dir: String?

    func run() throws {
        if let options {
            try printOptions(of: options)
            return
        }
        if let config {
            do {
                for plugin in try Gatekeeper(contentsOf: config).plugins { print(plugin) }
            } catch {
                writeError("portcullis: \(error)")
                throw ExitCode(2)
            }
            return
        }
        // Each name once, from the first directory that has it: the file a configuration would load.
        let searchPath = dir.map { PluginSearchPath(explicit: $0) } ?? .current()
        var failed = false
        var seen = Set<String>()
        for name in searchPath.directories.flatMap({ pluginNames(in: $0.path) }) where seen.insert(name).inserted {
            do {
                print(try PluginLoader.load(name: name, searchPath: searchPath))
            } catch {
                writeError("portcullis: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(2) }
    }

    /// The plugin's option table, read from its descriptor (ABI 1.1), so C plugins show theirs too.
    /// With `--config`, the plugin that configuration loads under that name (its `path`, if set).
    private func printOptions(of name: String) throws {
        let plugin: PluginLibrary
        do {
            if let config {
                guard let configured = try Gatekeeper(contentsOf: config).plugins.first(where: { $0.name == name }) else {
                    writeError("portcullis: \(config) loads no plugin named '\(name)'")
                    throw ExitCode(2)
                }
                plugin = configured
            } else {
                plugin = try PluginLoader.load(name: name, searchPath: dir.map { PluginSearchPath(explicit: $0) } ?? .current())
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            writeError("portcullis: \(error)")
            throw ExitCode(2)
        }
        guard let options = plugin.options else {
            print("\(plugin.name) \(plugin.version) does not describe its arguments (ABI \(plugin.abiMajor).\(plugin.abiMinor))")
            return
        }
        guard !options.isEmpty else {
            print("\(plugin.name) \(plugin.version) accepts no arguments")
            return
        }
        let rows = [["name", "kind", "required", "help"]] + options.map { [$0.name, $0.kind, $0.isRequired ? "yes" : "no", $0.help] }
        let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let padded = (0..<3).map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) }
            print((padded + [row[3]]).joined(separator: "  "))
        }
    }

    /// Names of `libportcullis-NAME.so` files in `directory`, sorted.
    private func pluginNames(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let file = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if file.hasPrefix("libportcullis-"), file.hasSuffix(".so") {
                names.append(String(file.dropFirst("libportcullis-".count).dropLast(".so".count)))
            }
        }
        return names.sorted()
    }
}
