import Foundation
import HTTPTypes
import Portcullis
import XCTest

/// Paths and helpers for the daemon and middleware tests.
enum ServerTestSupport {
    /// Where `swift build` put `portcullis` and the plugins (the test bundle's directory).
    static let binDirectory: String = PluginLoader.executableDirectory()

    static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func temporaryDirectory(_ test: XCTestCase) throws -> String {
        let path = NSTemporaryDirectory() + "portcullis-serve-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Builds Tests/Fixtures/counting.c (a cacheable plugin that counts its calls) into `directory`.
    static func compileCountingPlugin(into directory: String, name: String = "counting", blocking: Bool = false) throws {
        var source = "#define COUNTING_NAME \"\(name)\"\n"
        if blocking { source += "#define COUNTING_BLOCKING 1\n" }
        source += try String(contentsOfFile: repositoryRoot + "/Tests/Fixtures/counting.c", encoding: .utf8)
        let sourcePath = directory + "/\(name).c"
        try source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        let result = try run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-Wall", "-Werror", "-I", repositoryRoot + "/Sources/CPortcullisPlugin/include",
                                              sourcePath, "-o", directory + "/libportcullis-\(name).so"])
        guard result.status == 0 else { throw Failure("cc failed: \(result.output)") }
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func fields(_ pairs: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return fields
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    static func calls(_ countFile: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: countFile)[.size]) as? Int) ?? 0
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
