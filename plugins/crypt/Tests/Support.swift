import Foundation
import PortcullisPluginKit
import XCTest

@testable import CryptPlugin

/// Runs a real tool (htpasswd, openssl, mkpasswd, portcullis-hash) and returns its standard output.
func runTool(_ executable: String, _ arguments: [String], input: [UInt8] = [], file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/\(executable)")
    process.arguments = arguments
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    stdin.fileHandleForWriting.write(Data(input))
    try stdin.fileHandleForWriting.close()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    let errors = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ToolFailure(description: "\(executable) \(arguments) exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
    }
    return String(decoding: output, as: UTF8.self)
}

struct ToolFailure: Error, CustomStringConvertible {
    let description: String
}

/// The first line of a tool's output: `user:hash` from `htpasswd -n`, a hash from the others.
func firstLine(_ output: String) -> String {
    String(output.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
}

/// The build's bin directory (where `portcullis-hash` and the plugin `.so` files are): the
/// directory of the test executable, or `PORTCULLIS_BIN_DIR`.
func binDirectory() -> String {
    if let override = ProcessInfo.processInfo.environment["PORTCULLIS_BIN_DIR"] { return override }
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? Bundle.main.bundlePath
    return URL(fileURLWithPath: executable).deletingLastPathComponent().path
}

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crypt-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
    return directory
}

/// Writes `lines` to a new file in a temporary directory and returns its path.
func writeFile(_ test: XCTestCase, _ lines: [String], name: String = "passwords") throws -> String {
    let path = try temporaryDirectory(test).appendingPathComponent(name).path
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// Makes the plugin from stack-entry arguments, exactly as the SDK does after create().
func makePlugin(_ arguments: [(String, String)], log: @escaping PasswordTable.Log = { _, _ in }, checkInterval: Duration = .zero) throws -> CryptPlugin {
    let options = try PluginOptions(arguments.map { (name: $0.0, value: $0.1) }, table: CryptPlugin.options)
    return try CryptPlugin(options: options, checkInterval: checkInterval, log: log)
}

extension CryptPlugin {
    /// Checks one request carrying `credential`, through a real `pc_request` and the SDK's views.
    func check(_ credential: TestCredential) -> PluginOutcome {
        PluginRequest.withTestRequest(credential: credential) { check($0) }
    }

    func check(_ user: String, _ password: String) -> PluginOutcome {
        check(.basic(user, password))
    }
}

/// Collects what the plugin logs.
final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(PluginHost.LogLevel, String)] = []

    var log: PasswordTable.Log { { level, message in self.lock.withLock { self.lines.append((level, message)) } } }
    var all: [(PluginHost.LogLevel, String)] { lock.withLock { lines } }
}

extension XCTestCase {
    func assertAllowed(_ outcome: PluginOutcome, as principal: String, file: StaticString = #filePath, line: UInt = #line) {
        guard case .allow(let identity, _, _) = outcome else {
            return XCTFail("expected allow as \(principal), got \(outcome)", file: file, line: line)
        }
        XCTAssertEqual(identity.principal, principal, file: file, line: line)
    }

    func assertDenied(_ outcome: PluginOutcome, _ reason: ReasonCode, file: StaticString = #filePath, line: UInt = #line) {
        guard case .deny(let actual, let challenge, _, _) = outcome else {
            return XCTFail("expected deny \(reason.code), got \(outcome)", file: file, line: line)
        }
        XCTAssertEqual(actual, reason, file: file, line: line)
        XCTAssertEqual(challenge, #"Basic realm="Restricted", charset="UTF-8""#, file: file, line: line)
    }
}
