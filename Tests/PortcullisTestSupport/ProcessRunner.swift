import Foundation

/// What a process left behind: its exit status and both output streams.
public struct ProcessResult: Sendable {
    public let status: Int32
    /// Standard output as raw bytes (for tools that print binary, such as `openssl -binary`).
    public let stdoutBytes: [UInt8]
    public let stderr: String

    public var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
    /// Both streams, for assertion messages and checks over everything a tool printed.
    public var output: String { stdout + stderr }
}

extension TestSupport {
    /// Runs `executable` (an absolute path) with `arguments`, feeding `input` on standard input,
    /// and waits for it. A non-zero status is returned, not thrown: tests assert on it.
    public static func run(_ executable: String, _ arguments: [String], input: [UInt8] = []) throws -> ProcessResult {
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
        // Read both pipes before waiting, so a chatty process cannot block on a full pipe.
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus, stdoutBytes: [UInt8](out), stderr: String(decoding: err, as: UTF8.self)
        )
    }
}
