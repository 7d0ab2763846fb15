import Crypto
import Foundation
import HmacPlugin
import PortcullisPluginKit
import Synchronization
import XCTest

/// A scratch directory removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hmac-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A random key of `bytes` bytes.
func randomKey(kid: String, _ algorithm: HmacAlgorithm = .hs256, bytes: Int? = nil) -> HmacKey {
    let secret = SymmetricKey(data: (0..<(bytes ?? algorithm.outputSize)).map { _ in UInt8.random(in: 0...255) })
    return HmacKey(kid: kid, algorithm: algorithm, secret: secret)
}

/// The JWKS text for `keys`.
func jwks(_ keys: [HmacKey]) -> String {
    let entries = keys.map { key -> JSONValue in
        .object([
            "kty": .string("oct"), "kid": .string(key.kid), "alg": .string(key.algorithm.rawValue),
            "k": .string(TokenIssuer.encode(key.secret.withUnsafeBytes { Array($0) })),
        ])
    }
    return JSONValue.object(["keys": .array(entries)]).serialized
}

/// Replaces `url` atomically (write a sibling, rename over), as an operator rotating keys would.
func replaceAtomically(_ url: URL, with text: String) throws {
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(UUID().uuidString).tmp")
    try Data(text.utf8).write(to: temporary)
    guard rename(temporary.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
}

/// The result of running a tool.
struct ProcessResult {
    let status: Int32
    let output: [UInt8]
    let stderr: String
    var stdout: String { String(decoding: output, as: UTF8.self) }
}

/// Runs `executable` with `arguments`, feeding `input` on stdin.
func runTool(_ executable: String, _ arguments: [String], input: [UInt8] = []) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    stdin.fileHandleForWriting.write(Data(input))
    try stdin.fileHandleForWriting.close()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, output: [UInt8](out), stderr: String(decoding: err, as: UTF8.self))
}

/// Where SwiftPM put the built products: the directory of the test bundle, unless overridden.
var binDirectory: URL {
    if let path = ProcessInfo.processInfo.environment["PORTCULLIS_BIN_DIR"] { return URL(fileURLWithPath: path) }
    return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
}

/// Finds a system tool on PATH.
func systemTool(_ name: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// A log that records lines, to check what the plugin says (and that it never says a secret).
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func record(_ level: Any, _ line: String) { lines.withLock { $0.append(line) } }
}

