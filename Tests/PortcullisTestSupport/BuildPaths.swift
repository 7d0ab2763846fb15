import Foundation
import Portcullis

extension TestSupport {
    /// Where `swift build` put the executables and plugin libraries: the test bundle's directory,
    /// exactly where the host looks for plugins, unless `PORTCULLIS_BIN_DIR` overrides it.
    public static let binDirectory: String =
        ProcessInfo.processInfo.environment["PORTCULLIS_BIN_DIR"] ?? PluginLoader.executableDirectory()

    /// The package root, found from this file's path (Tests/PortcullisTestSupport/BuildPaths.swift).
    public static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The plugin ABI header, for C plugins compiled by the tests.
    public static let abiIncludeDirectory: String = repositoryRoot + "/Sources/CPortcullisPlugin/include"
}
