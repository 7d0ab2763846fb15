import Foundation
import Portcullis
import PortcullisProtocol

/// Renders an outcome for a person (`check`) or a program (`check --json`).
/// Both show only what the outcome holds, which never includes a secret. The text shows every
/// value that came from the request or a plugin through ``LogText`` (one line each, bounded);
/// JSON escapes by its own rules. A deny's `remedy` (``Remedy``) is for the operator running
/// `check`; the response shown is what the client gets, which never carries it.
enum OutcomeReport {
    static func text(_ outcome: Outcome, _ response: AuthResponse, remedy: String?) -> String {
        var lines: [String] = []
        func quoted(_ value: String) -> String { "\"\(LogText.escaped(value))\"" }
        let verdict = outcome.isAllowed ? "ALLOW \(outcome.principal.map { "principal=\(quoted($0))" } ?? "(no principal)")"
                                        : "DENY \(outcome.reason?.code ?? "?")"
        lines.append("stack \(outcome.stack): \(verdict) -> HTTP \(response.status)")
        if let remedy { lines.append("  remedy:     \(LogText.escaped(remedy, limit: 1024))") }
        lines.append("  client:     \(outcome.client.map { "\($0)" } ?? "unknown") (\(outcome.clientNote))")
        lines.append("  credential: \(outcome.credential)")
        for attribute in outcome.attributes { lines.append("  attribute:  \(LogText.escaped(attribute.name))=\(quoted(attribute.value))") }
        lines.append("  trace:")
        for step in outcome.trace {
            let reason = step.reason.map { " \($0)" } ?? ""
            lines.append("    #\(step.index) \(step.plugin) [\(step.control)] -> \(step.verdict)\(reason), action \(step.action) (\(String(format: step.micros)) µs)")
            if let challenge = step.challenge { lines.append("       challenge: \(LogText.escaped(challenge))") }
            if let detail = step.detail {
                if let fields = DetailFields(detail) {
                    lines.append("       detail:")
                    lines += fields.lines.map { "         " + $0 }
                } else {
                    lines.append("       detail: \(LogText.escaped(detail))")
                }
            }
        }
        if outcome.trace.isEmpty { lines.append("    (no entry ran)") }
        if let note = outcome.note { lines.append("  note: \(LogText.escaped(note))") }
        if !response.headers.isEmpty {
            lines.append("  response headers:")
            for header in response.headers { lines.append("    \(header.name): \(LogText.escaped(header.value))") }
        }
        if !response.body.isEmpty { lines.append("  body: \(String(decoding: response.body, as: UTF8.self))") }
        return lines.joined(separator: "\n")
    }

    static func json(_ outcome: Outcome, _ response: AuthResponse, remedy: String?) -> String {
        let trace = outcome.trace.map { step in
            JSONText.object([
                ("plugin", JSONText.string(step.plugin)),
                ("control", JSONText.string(step.control.description)),
                ("verdict", JSONText.string(step.verdict)),
                ("reason", JSONText.optional(step.reason)),
                ("action", JSONText.string(step.action)),
                ("micros", String(format: step.micros)),
                ("challenge", JSONText.optional(step.challenge)),
                ("detail", JSONText.optional(step.detail)),
                // A detail that is a JSON object (authz's explanation) also as itself, for programs.
                ("fields", step.detail.flatMap { DetailFields($0) }.map(\.json) ?? "null"),
            ])
        }
        var headers: [(String, String)] = []
        for header in response.headers where !headers.contains(where: { $0.0 == header.name }) {
            headers.append((header.name, JSONText.string(header.value)))
        }
        return JSONText.object([
            ("decision", JSONText.string(outcome.decision.rawValue)),
            ("status", String(response.status)),
            ("reason", JSONText.optional(outcome.reason?.code)),
            ("remedy", JSONText.optional(remedy)),
            ("principal", JSONText.optional(outcome.principal)),
            ("attributes", JSONText.object(outcome.attributes.map { ($0.name, JSONText.string($0.value)) })),
            ("challenges", JSONText.array(outcome.challenges.map(JSONText.string))),
            ("headers", JSONText.object(headers)),
            ("client", JSONText.optional(outcome.client.map { "\($0)" })),
            ("credential", JSONText.string(outcome.credential.description)),
            ("note", JSONText.optional(outcome.note)),
            ("trace", JSONText.array(trace)),
        ])
    }
}

/// A plugin detail written as one JSON object (docs/plugin-abi.md, "Details"): authz's rules
/// tried and the one that decided. Shown as fields, one per line, in the order below and then
/// by name; any other detail is shown as the text it is.
struct DetailFields {
    static let order = ["decision", "method", "path", "path_refused", "rule", "effect", "why", "nearest_allow", "shadow", "tried"]
    /// The detail itself, checked to be a JSON object.
    let json: String
    private let object: [String: Any]

    init?(_ detail: String) {
        guard detail.hasPrefix("{"), let data = detail.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        json = detail
        self.object = object
    }

    var lines: [String] {
        var lines: [String] = []
        for key in Self.ordered(object.keys) {
            guard let value = object[key] else { continue }
            if let items = value as? [Any], items.contains(where: { $0 is [String: Any] }) {
                lines.append("\(key):")
                lines += items.map { "  - " + Self.text($0) }
            } else {
                lines.append("\(key): \(Self.text(value))")
            }
        }
        return lines
    }

    private static func ordered(_ keys: Dictionary<String, Any>.Keys) -> [String] {
        order.filter(keys.contains) + keys.filter { !order.contains($0) }.sorted()
    }

    /// One value on one line: strings quoted and escaped, objects as `key=value` pairs.
    private static func text(_ value: Any) -> String {
        switch value {
        case let text as String: "\"\(LogText.escaped(text))\""
        case let object as [String: Any]: ordered(object.keys).compactMap { key in object[key].map { "\(key)=\(text($0))" } }.joined(separator: " ")
        case let items as [Any]: items.map(text).joined(separator: ", ")
        case is NSNull: "none"
        default: LogText.escaped("\(value)")
        }
    }
}

extension String {
    /// Microseconds with one decimal.
    init(format micros: Double) {
        let tenths = Int((micros * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
