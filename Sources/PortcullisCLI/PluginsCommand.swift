import ArgumentParser
import Portcullis

#if canImport(Glibc)
import Glibc
#endif

/// `portcullis plugins`: which plugins are here, with their versions and ABI.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List plugins: those a configuration uses, or every plugin in the plugin directory."
    )

    @Option(name: .long, help: "List the plugins this configuration loads.")
    var config: String?

    @Option(name: .long, help: "The plugin directory (default: $PORTCULLIS_PLUGIN_DIR or the executable's directory).")
    var dir: String?

    func run() throws {
        if let config {
            do {
                for plugin in try Gatekeeper(contentsOf: config).plugins { print(plugin) }
            } catch {
                writeError("portcullis: \(error)")
                throw ExitCode(2)
            }
            return
        }
        let directory = dir ?? PluginLoader.defaultDirectory()
        var failed = false
        for name in pluginNames(in: directory) {
            do {
                print(try PluginLoader.load(name: name, directory: directory))
            } catch {
                writeError("portcullis: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(2) }
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
