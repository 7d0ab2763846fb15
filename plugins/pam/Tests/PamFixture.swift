import Foundation
import PamPlugin
import PortcullisPluginKit
import XCTest

/// A temporary PAM configuration directory for one test: service files and a pam_matrix passdb,
/// read through `confdir`, so nothing under /etc/pam.d is touched.
final class PamFixture {
    let directory: String

    /// pam_matrix.so and friends from Debian's libpam-wrapper; PORTCULLIS_PAM_WRAPPER_DIR overrides.
    static let wrapperDirectory: String = {
        if let dir = ProcessInfo.processInfo.environment["PORTCULLIS_PAM_WRAPPER_DIR"] { return dir }
        #if arch(x86_64)
        return "/usr/lib/x86_64-linux-gnu/pam_wrapper"
        #else
        return "/usr/lib/aarch64-linux-gnu/pam_wrapper"
        #endif
    }()

    static var pamMatrix: String { wrapperDirectory + "/pam_matrix.so" }

    init() throws {
        guard FileManager.default.fileExists(atPath: Self.pamMatrix) else {
            // A missing test dependency is a failure, not a skip.
            throw FixtureError(description: "\(Self.pamMatrix) not found: install libpam-wrapper")
        }
        var template = Array((NSTemporaryDirectory() + "/portcullis-pam-XXXXXX").utf8CString)
        guard let path = mkdtemp(&template) else { throw FixtureError(description: "mkdtemp failed") }
        directory = String(cString: path)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes a pam_matrix passdb (`user:password:service` lines) and returns its path.
    @discardableResult
    func writePassdb(_ lines: [String], name: String = "passdb") throws -> String {
        let path = directory + "/" + name
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func writeService(_ name: String, _ lines: String) throws {
        try lines.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
    }

    /// A service authenticating against pam_matrix with `passdb`, for both auth and account.
    func writeMatrixService(_ name: String, passdb: String, before: String = "") throws {
        try writeService(name, """
            \(before)auth     required \(Self.pamMatrix) passdb=\(passdb)
            account  required \(Self.pamMatrix) passdb=\(passdb)

            """)
    }

    func authenticator(
        service: String, account: Bool = true, maxConcurrent: Int = 16, queueTimeout: Duration = .seconds(10)
    ) -> PamAuthenticator {
        PamAuthenticator(configuration: .init(
            service: service, confdir: directory, checkAccount: account, maxConcurrent: maxConcurrent,
            queueTimeout: queueTimeout, challenge: #"Basic realm="test", charset="UTF-8""#))
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

extension PamAuthenticator {
    func check(_ user: String, _ password: String, from host: String? = "192.0.2.10") -> PluginOutcome {
        authenticate(user: Array(user.utf8), password: Array(password.utf8), remoteHost: host)
    }
}

func assertAllow(
    _ outcome: PluginOutcome, principal: String, file: StaticString = #filePath, line: UInt = #line
) {
    guard case .allow(let identity, _, _) = outcome else {
        return XCTFail("expected allow \(principal), got \(outcome)", file: file, line: line)
    }
    XCTAssertEqual(identity.principal, principal, file: file, line: line)
}

func assertDeny(
    _ outcome: PluginOutcome, _ reason: ReasonCode, file: StaticString = #filePath, line: UInt = #line
) {
    guard case .deny(let actual, let challenge, _, _) = outcome else {
        return XCTFail("expected deny \(reason.code), got \(outcome)", file: file, line: line)
    }
    XCTAssertEqual(actual, reason, file: file, line: line)
    XCTAssertEqual(challenge, #"Basic realm="test", charset="UTF-8""#, "a deny offers the Basic challenge", file: file, line: line)
}

func assertError(
    _ outcome: PluginOutcome, _ reason: ReasonCode, file: StaticString = #filePath, line: UInt = #line
) {
    guard case .error(let actual, _) = outcome else {
        return XCTFail("expected error \(reason.code), got \(outcome)", file: file, line: line)
    }
    XCTAssertEqual(actual, reason, file: file, line: line)
}

extension PluginOutcome {
    var detail: String? {
        switch self {
        case .allow(_, let detail, _), .deny(_, _, let detail, _), .ignore(_, let detail), .lockedOut(_, let detail): detail
        case .error(_, let detail): detail
        }
    }

    var failDelay: Duration? {
        if case .deny(_, _, _, let delay) = self { return delay }
        return nil
    }
}

/// Open file descriptors of this process: a leaked PAM handle keeps its service file or modules open.
func openFileDescriptorCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}
