import Foundation
import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// Where plugins are looked for: the order of the settings (pure), then the real loader and the
/// real `portcullis` executable walking that order over real plugin files.
final class PluginSearchPathTests: XCTestCase {
    typealias Directory = PluginSearchPath.Directory
    let system = Directory(path: "/usr/lib/portcullis/plugins", origin: .system)
    let inPlace = "/src/portcullis/.build/x86_64-unknown-linux-gnu/debug/portcullis"

    // MARK: - The order

    func testEnvironmentOverridesTheConfigurationAndTheProgram() {
        let path = PluginSearchPath.resolve(environment: "/env", configured: "/conf", file: "site.toml", program: "/app", executable: inPlace)
        XCTAssertEqual(path.directories, [Directory(path: "/env", origin: .environment)])
    }

    func testAnEmptyEnvironmentVariableCountsAsUnset() {
        let path = PluginSearchPath.resolve(environment: "", configured: "/conf", file: "site.toml", program: nil, executable: inPlace)
        XCTAssertEqual(path.directories, [Directory(path: "/conf", origin: .configuration(file: "site.toml"))])
    }

    func testTheConfigurationOverridesTheProgram() {
        let path = PluginSearchPath.resolve(environment: nil, configured: "/conf", file: "site.toml", program: "/app", executable: inPlace)
        XCTAssertEqual(path.directories, [Directory(path: "/conf", origin: .configuration(file: "site.toml"))])
    }

    func testTheProgramsDirectoryOverridesTheDefault() {
        let path = PluginSearchPath.resolve(environment: nil, configured: nil, program: "/app/plugins", executable: inPlace)
        XCTAssertEqual(path.directories, [Directory(path: "/app/plugins", origin: .program)])
    }

    /// `swift build` puts the plugins beside the executable: scripts/demo and the tests use them.
    func testABuildRunInPlaceSearchesItsOwnDirectoryThenTheSystems() {
        let path = PluginSearchPath.resolve(environment: nil, configured: nil, program: nil, executable: inPlace)
        XCTAssertEqual(path.directories, [
            Directory(path: "/src/portcullis/.build/x86_64-unknown-linux-gnu/debug", origin: .buildDirectory), system,
        ])
        for executable in ["/src/p/.build-package/release/portcullis", "/src/p/.build_perf/debug/app"] {
            XCTAssertEqual(PluginSearchPath.resolve(environment: nil, configured: nil, program: nil, executable: executable)
                .directories.first?.origin, .buildDirectory, executable)
        }
    }

    /// `scripts/install /opt/portcullis`: the plugins in PREFIX/lib/portcullis/plugins are found
    /// from PREFIX/bin, with no setting.
    func testAnInstalledExecutableSearchesBesideItselfThenTheSystems() {
        let path = PluginSearchPath.resolve(environment: nil, configured: nil, program: nil, executable: "/opt/portcullis/bin/portcullis")
        XCTAssertEqual(path.directories, [Directory(path: "/opt/portcullis/lib/portcullis/plugins", origin: .besideExecutable), system])
        // Folders that only look like build folders are installed paths.
        for executable in ["/home/ci/.buildkite/bin/portcullis", "/srv/x.build/bin/portcullis"] {
            let origin = PluginSearchPath.resolve(environment: nil, configured: nil, program: nil, executable: executable).directories.first?.origin
            XCTAssertEqual(origin, .besideExecutable, executable)
        }
    }

    /// The Debian package: /usr/bin/portcullis finds /usr/lib/portcullis/plugins, searched once.
    func testThePackagedExecutableSearchesTheSystemDirectoryOnce() {
        let path = PluginSearchPath.resolve(environment: nil, configured: nil, program: nil, executable: "/usr/bin/portcullis")
        XCTAssertEqual(path.directories, [system])
    }

    // MARK: - The real loader

    /// A directory without the file moves the search on to the next one.
    func testTheSearchMovesOnOnlyPastAMissingFile() throws {
        let empty = try TestSupport.temporaryDirectory(self)
        let path = PluginSearchPath([Directory(path: empty, origin: .besideExecutable),
                                     Directory(path: TestSupport.binDirectory, origin: .system)])
        let library = try PluginLoader.load(name: "debug", searchPath: path)
        XCTAssertEqual(library.path, TestSupport.binDirectory + "/libportcullis-debug.so")
    }

    /// A file that is there but fails a check stops the search: an unsafe plugin is an error,
    /// not a reason to load another one.
    func testAnUnsafeFileStopsTheSearch() throws {
        let unsafe = try TestSupport.temporaryDirectory(self)
        let file = unsafe + "/libportcullis-debug.so"
        try FileManager.default.copyItem(atPath: TestSupport.binDirectory + "/libportcullis-debug.so", toPath: file)
        XCTAssertEqual(chmod(file, 0o664), 0)
        let path = PluginSearchPath([Directory(path: unsafe, origin: .besideExecutable),
                                     Directory(path: TestSupport.binDirectory, origin: .system)])
        XCTAssertThrowsError(try PluginLoader.load(name: "debug", searchPath: path)) { error in
            XCTAssertEqual(error as? PluginLoadError, .unsafePermissions(plugin: "debug", path: file, mode: 0o100664))
        }
    }

    /// The error names every directory searched, why each, and how to change it.
    func testAMissingPluginNamesEveryDirectorySearchedAndHowToChangeIt() throws {
        let first = try TestSupport.temporaryDirectory(self), second = try TestSupport.temporaryDirectory(self)
        let path = PluginSearchPath([Directory(path: first, origin: .buildDirectory), Directory(path: second, origin: .system)])
        XCTAssertThrowsError(try PluginLoader.load(name: "iplist", searchPath: path)) { error in
            XCTAssertEqual("\(error)", "plugin 'iplist': libportcullis-iplist.so is not in the plugin directories searched: "
                + "\(first) (the executable's directory: a build run in place), \(second) (the system plugin directory); "
                + "install the plugin there, or set plugin_dir in the configuration or PORTCULLIS_PLUGIN_DIR (which overrides it) "
                + "to the directory that holds it")
        }
    }

    /// `Gatekeeper(configuration:pluginDirectory:)`: the program's directory is used, and the
    /// configuration's `plugin_dir` overrides it.
    func testTheGatekeepersPluginDirectoryAndPluginDirOverIt() throws {
        let programs = try directoryWithDebugPlugin(), operators = try directoryWithDebugPlugin()
        let stack = """
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "alice"
            """
        let fromProgram = try Gatekeeper(configuration: Configuration(parsing: stack, file: "app.toml"), pluginDirectory: programs)
        XCTAssertEqual(fromProgram.plugins.map(\.path), [programs + "/libportcullis-debug.so"])
        XCTAssertEqual(fromProgram.evaluate(AuthRequest(peer: IPAddress("127.0.0.1"))).principal, "alice")

        let configured = try Gatekeeper(
            configuration: Configuration(parsing: "plugin_dir = \"\(operators)\"\n" + stack, file: "app.toml"), pluginDirectory: programs)
        XCTAssertEqual(configured.plugins.map(\.path), [operators + "/libportcullis-debug.so"])
    }

    func testAMissingPluginInTheConfiguredDirectorySaysWhereThatCameFrom() throws {
        XCTAssertThrowsError(try Gatekeeper(configuration: Configuration(parsing: """
            plugin_dir = "/nonexistent-dir"
            [[stack.default]]
            plugin = "crypt"
            control = "required"
            """, file: "site.toml"), pluginDirectory: "/ignored")) { error in
            XCTAssertTrue("\(error)".hasPrefix("site.toml:2: stack.default[0]: plugin 'crypt': libportcullis-crypt.so is not in the plugin "
                + "directory searched: /nonexistent-dir (plugin_dir in site.toml); install the plugin there, or set plugin_dir"), "\(error)")
        }
    }

    // MARK: - The real executable

    /// `PORTCULLIS_PLUGIN_DIR` overrides the configuration's `plugin_dir` in a real process.
    func testTheEnvironmentVariableOverridesPluginDirInTheExecutable() throws {
        let configured = try directoryWithDebugPlugin(), overriding = try directoryWithDebugPlugin()
        let config = try TestSupport.temporaryDirectory(self) + "/site.toml"
        try TestSupport.write("""
            plugin_dir = "\(configured)"
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            """, to: config)
        let portcullis = TestSupport.binDirectory + "/portcullis"
        let plain = try TestSupport.run("/usr/bin/env", ["-u", "PORTCULLIS_PLUGIN_DIR", portcullis, "plugins", "--config", config])
        XCTAssertEqual(plain.status, 0, plain.output)
        XCTAssertTrue(plain.stdout.hasSuffix(" \(configured)/libportcullis-debug.so\n"), plain.stdout)

        let overridden = try TestSupport.run("/usr/bin/env", ["PORTCULLIS_PLUGIN_DIR=\(overriding)", portcullis, "plugins", "--config", config])
        XCTAssertEqual(overridden.status, 0, overridden.output)
        XCTAssertTrue(overridden.stdout.hasSuffix(" \(overriding)/libportcullis-debug.so\n"), overridden.stdout)
    }

    /// An installed layout as `scripts/install PREFIX` makes it: `PREFIX/bin/portcullis` finds
    /// `PREFIX/lib/portcullis/plugins` with no setting at all.
    func testAnInstalledExecutableFindsThePluginsBesideIt() throws {
        let prefix = try TestSupport.temporaryDirectory(self)
        let plugins = prefix + "/lib/portcullis/plugins"
        try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestSupport.binDirectory + "/portcullis", toPath: prefix + "/bin/portcullis")
        try FileManager.default.copyItem(atPath: TestSupport.binDirectory + "/libportcullis-debug.so", toPath: plugins + "/libportcullis-debug.so")

        let listed = try TestSupport.run("/usr/bin/env", ["-u", "PORTCULLIS_PLUGIN_DIR", prefix + "/bin/portcullis", "plugins"])
        XCTAssertEqual(listed.status, 0, listed.output)
        XCTAssertTrue(listed.stdout.contains(" \(plugins)/libportcullis-debug.so\n"), listed.stdout)
        XCTAssertFalse(listed.stdout.contains(TestSupport.binDirectory), listed.stdout)

        let missing = try TestSupport.run("/usr/bin/env", ["-u", "PORTCULLIS_PLUGIN_DIR", prefix + "/bin/portcullis", "plugins", "--options", "nothere"])
        XCTAssertEqual(missing.status, 2, missing.output)
        XCTAssertTrue(missing.stderr.contains("searched: \(plugins) (beside the executable: ../lib/portcullis/plugins), "
            + "/usr/lib/portcullis/plugins (the system plugin directory)"), missing.stderr)
    }

    /// A fresh directory holding a copy of the built debug plugin.
    private func directoryWithDebugPlugin() throws -> String {
        let directory = try TestSupport.temporaryDirectory(self)
        try FileManager.default.copyItem(atPath: TestSupport.binDirectory + "/libportcullis-debug.so",
                                         toPath: directory + "/libportcullis-debug.so")
        return directory
    }
}
