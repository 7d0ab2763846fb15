#if canImport(Glibc)
import Glibc
#endif

/// Where plugins are looked for, and why there: directories in order, each with the setting that
/// chose it, so a missing plugin's error can say what was searched and how to change it.
///
/// Like libpam's one module directory, installed builds share one system directory. The first
/// explicit setting names exactly one directory (an operator who names a directory means it):
/// 1. `PORTCULLIS_PLUGIN_DIR`: the environment of one run (a one-off `check` against a build
///    tree, a unit's `Environment=`), as environment variables override configuration files in
///    most tools;
/// 2. `plugin_dir` in the configuration: the operator's setting for that file;
/// 3. the directory the embedding program passes (`Gatekeeper(contentsOf:pluginDirectory:)`),
///    which is that program's default, so the operator's file can still override it.
///
/// Without any, the default depends on where the executable runs from:
/// - a build run in place (under a `.build…` directory): its own directory, where `swift build`
///   puts the plugin products, then the system directory;
/// - anywhere else: `<executable's directory>/../lib/portcullis/plugins`, where `scripts/install
///   PREFIX` puts them (`/usr/bin/portcullis` gives the system directory itself), then the system
///   directory `/usr/lib/portcullis/plugins`, where the Debian package puts them.
///
/// Only a file that does not exist moves the search on; one that exists but fails a check is an
/// error, never a reason to try the next directory.
package struct PluginSearchPath: Sendable, Equatable {
    /// Where the installed package puts its plugins, for every program on the machine.
    package static let systemDirectory = "/usr/lib/portcullis/plugins"
    /// The environment variable that overrides every other setting.
    package static let environmentVariable = "PORTCULLIS_PLUGIN_DIR"

    package struct Directory: Sendable, Equatable {
        package var path: String
        package var origin: Origin
    }

    /// The setting a directory came from, as messages name it.
    package enum Origin: Sendable, Equatable {
        case environment
        case configuration(file: String)
        case program
        case buildDirectory
        case besideExecutable
        case system
    }

    package var directories: [Directory]

    package init(_ directories: [Directory]) {
        self.directories = directories
    }

    /// One explicit directory, as `portcullis plugins --dir` and the tests give it.
    package init(explicit path: String) {
        directories = [Directory(path: path, origin: .program)]
    }

    /// The search path from these settings; pure, so the order is testable.
    /// - Parameters:
    ///   - environment: the value of `PORTCULLIS_PLUGIN_DIR`, if set (empty counts as unset).
    ///   - configured: `plugin_dir` of the configuration `file`, if set.
    ///   - program: the directory the embedding program passes, if any.
    ///   - executable: the running executable's absolute path.
    package static func resolve(environment: String?, configured: String?, file: String = "the configuration",
                                program: String?, executable: String) -> PluginSearchPath {
        if let environment, !environment.isEmpty { return PluginSearchPath([Directory(path: environment, origin: .environment)]) }
        if let configured { return PluginSearchPath([Directory(path: configured, origin: .configuration(file: file))]) }
        if let program { return PluginSearchPath([Directory(path: program, origin: .program)]) }
        let executableDirectory = parent(of: executable)
        let first = isBuildRunInPlace(executable)
            ? Directory(path: executableDirectory, origin: .buildDirectory)
            : Directory(path: parent(of: executableDirectory) + "/lib/portcullis/plugins", origin: .besideExecutable)
        let system = Directory(path: systemDirectory, origin: .system)
        return PluginSearchPath(first.path == system.path ? [system] : [first, system])
    }

    /// The search path of this process: its environment and executable, with these settings.
    package static func current(configured: String? = nil, file: String = "the configuration", program: String? = nil) -> PluginSearchPath {
        // A setuid or setgid process ignores the variable, as the dynamic linker ignores
        // LD_LIBRARY_PATH there (secure_getenv's rule; Swift's Glibc module does not offer it).
        let privileged = getuid() != geteuid() || getgid() != getegid()
        let environment = privileged ? nil : getenv(environmentVariable).map { String(cString: $0) }
        return resolve(environment: environment, configured: configured, file: file, program: program,
                       executable: PluginLoader.executablePath())
    }

    /// True for an executable somewhere under `.build`, `.build-*` or `.build_*`
    /// (`.build/debug/portcullis`, `.build-package/release/portcullis`): SwiftPM's build folders
    /// (`--scratch-path`), never an installed path.
    static func isBuildRunInPlace(_ executable: String) -> Bool {
        executable.split(separator: "/").dropLast().contains {
            $0 == ".build" || $0.hasPrefix(".build-") || $0.hasPrefix(".build_")
        }
    }

    /// `/a/b/c` → `/a/b`; `/a` → `` (so `parent + "/lib"` stays absolute).
    private static func parent(of path: String) -> String {
        String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
    }

    /// Every directory with its origin, for messages: `/x (plugin_dir in site.toml), /y (…)`.
    package var description: String {
        directories.map { "\($0.path) (\($0.origin.description))" }.joined(separator: ", ")
    }
}

extension PluginSearchPath.Origin: CustomStringConvertible {
    package var description: String {
        switch self {
        case .environment: "PORTCULLIS_PLUGIN_DIR, which overrides plugin_dir"
        case .configuration(let file): "plugin_dir in \(file)"
        case .program: "the plugin directory the program passed"
        case .buildDirectory: "the executable's directory: a build run in place"
        case .besideExecutable: "beside the executable: ../lib/portcullis/plugins"
        case .system: "the system plugin directory"
        }
    }
}
