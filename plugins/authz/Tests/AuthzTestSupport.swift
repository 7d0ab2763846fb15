import Foundation
import PortcullisPluginKit
import PortcullisTestSupport
import Synchronization
import XCTest

@testable import AuthzPlugin

/// A log that records what the plugin says.
final class AuthzLog: Sendable {
    private let lines = Mutex<[(PluginHost.LogLevel, String)]>([])
    var all: [String] { lines.withLock { $0.map(\.1) } }
    func record(_ level: PluginHost.LogLevel, _ line: String) { lines.withLock { $0.append((level, line)) } }
}

extension XCTestCase {
    /// Writes `rules` to a fresh file and returns its path.
    func rulesFile(_ rules: String, name: String = "rules.toml") throws -> String {
        let path = try TestSupport.temporaryDirectory(self) + "/" + name
        try TestSupport.write(rules, to: path)
        return path
    }

    /// The plugin on `rules`, from stack-entry arguments as the SDK passes them.
    func authz(_ rules: String, _ arguments: [(String, String)] = []) throws -> AuthzPlugin {
        let path = try rulesFile(rules)
        let options = try PluginOptions([(name: "rules", value: path)] + arguments.map { (name: $0.0, value: $0.1) }, table: AuthzPlugin.options)
        return try AuthzPlugin(options: options, host: .none)
    }

    /// The rules of `text`, parsed.
    func ruleSet(_ text: String) throws -> RuleSet {
        try RuleFile.parse(text, file: "rules.toml")
    }

    /// The parse error of `text`.
    func ruleError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> RuleFileError? {
        do {
            _ = try RuleFile.parse(text, file: "rules.toml")
            XCTFail("expected an error for:\n\(text)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }
}

extension AuthzPlugin {
    /// Checks a request as `principal` (nil: no identity), with `attributes`.
    func check(_ method: String = "GET", _ path: String, principal: String? = "alice", attributes: [Attribute] = [],
               host: String = "app.example.com", client: String? = "192.0.2.10", credential: Credential = .basic("alice", "x")) -> PluginOutcome {
        PluginRequest.withTestRequest(
            credential: credential, client: client.flatMap { IPAddress($0) }, method: method, path: path, host: host,
            identity: principal.map { Identity(principal: $0, attributes: attributes) }
        ) { check($0) }
    }
}

extension PluginOutcome {
    var isAllow: Bool { if case .allow = self { true } else { false } }
    var denyReason: ReasonCode? { if case .deny(let reason, _, _, _) = self { reason } else { nil } }
    var challenge: String? { if case .deny(_, let challenge, _, _) = self { challenge } else { nil } }
    var detail: String? {
        switch self {
        case .allow(_, let detail, _): detail
        case .deny(_, _, let detail, _): detail
        case .ignore(_, let detail): detail
        case .lockedOut(_, let detail): detail
        case .error(_, let detail): detail
        }
    }

    /// The detail as a JSON object.
    var explanation: [String: Any]? {
        guard let data = detail?.data(using: .utf8) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// The rule that decided, from the detail.
    var decidingRule: String? { explanation?["rule"] as? String }
}
