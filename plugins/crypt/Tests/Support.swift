import Foundation
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

@testable import CryptPlugin

/// Runs a real tool (htpasswd, openssl, mkpasswd, portcullis-hash; a bare name is in /usr/bin) and
/// returns its standard output; a non-zero exit is a failure, since these tools must succeed here.
func runTool(_ executable: String, _ arguments: [String], input: [UInt8] = []) throws -> String {
    let result = try TestSupport.run(executable.hasPrefix("/") ? executable : "/usr/bin/\(executable)", arguments, input: input)
    guard result.status == 0 else {
        throw TestFailure("\(executable) \(arguments) exited \(result.status): \(result.stderr)")
    }
    return result.stdout
}

/// The first line of a tool's output: `user:hash` from `htpasswd -n`, a hash from the others.
func firstLine(_ output: String) -> String {
    String(output.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
}

/// Writes `lines` to a new file in a temporary directory and returns its path.
func writeFile(_ test: XCTestCase, _ lines: [String], name: String = "passwords") throws -> String {
    let path = try TestSupport.temporaryDirectory(test) + "/" + name
    try TestSupport.write(lines.joined(separator: "\n") + "\n", to: path)
    return path
}

/// Makes the plugin from stack-entry arguments, exactly as the SDK does after create().
func makePlugin(_ arguments: [(String, String)], log: @escaping PasswordTable.Log = { _, _ in }, checkInterval: Duration = .zero) throws -> CryptPlugin {
    let options = try PluginOptions(arguments.map { (name: $0.0, value: $0.1) }, table: CryptPlugin.options)
    return try CryptPlugin(options: options, checkInterval: checkInterval, log: log)
}

extension CryptPlugin {
    /// Checks one request carrying `credential`, through a real `pc_request` and the SDK's views.
    func check(_ credential: Credential) -> PluginOutcome {
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

/// Whether `outcome` allows `principal`: for polling a change that takes effect in the background.
func allows(_ outcome: PluginOutcome, _ principal: String) -> Bool {
    if case .allow(let identity, _, _) = outcome { identity.principal == principal } else { false }
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
