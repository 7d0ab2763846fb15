import Foundation
import XCTest

@testable import Portcullis

/// Paths and helpers shared by the host tests.
enum TestSupport {
    /// Where `swift build` put the executables and plugin libraries (the test bundle's directory).
    static let binDirectory: String = PluginLoader.executableDirectory()

    static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let abiIncludeDirectory = repositoryRoot + "/Sources/CPortcullisPlugin/include"

    /// A fresh directory, removed when the test ends.
    static func temporaryDirectory(_ test: XCTestCase) throws -> String {
        let path = NSTemporaryDirectory() + "portcullis-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Compiles C source into a shared library with the system C compiler: no SwiftPM, no Swift.
    @discardableResult
    static func compilePlugin(source: String, to path: String) throws -> String {
        let sourcePath = path + ".c"
        try source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        let result = try run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-Wall", "-Werror", "-I", abiIncludeDirectory, sourcePath, "-o", path])
        guard result.status == 0 else { throw TestFailure("cc failed: \(result.stderr)") }
        return path
    }

    struct ProcessResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A gatekeeper for an inline TOML configuration.
    static func gatekeeper(_ toml: String, file: String = "test.toml") throws -> Gatekeeper {
        try Gatekeeper(configuration: Configuration(parsing: toml, file: file))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension String {
    /// `Basic` credentials for a user and password.
    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
