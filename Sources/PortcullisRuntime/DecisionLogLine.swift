import Portcullis
import PortcullisProtocol

/// The decision log's JSON format (`[log] format = "json"`): one JSON object per decision, on one
/// line, with the same keys in the same order every time (null where a key does not apply), so a
/// log pipeline needs no per-line schema. Written with ``JSONText`` (the host's one JSON writer:
/// control characters escaped by JSON's rules), never with a secret: the credential is its
/// summary, the target its path without the query, and values from the request or a plugin are
/// cut at ``LogText/limit`` bytes like the text log's.
///
/// Keys (docs/configuration.md): `time` (RFC 3339 UTC, milliseconds), `decision_id` (also the
/// answer's `X-Auth-Decision-Id`), `trace_id` and `traceparent` (a valid W3C `traceparent` the
/// request carried), `stack`, `decision`, `reason` and `remedy` (deny), `status`, `principal`
/// (allow), `client`, `client_source`, `peer`, `method`, `host`, `path`, `credential`, `entry`
/// (`{"index", "plugin"}` of the entry that decided; null when the host did), `detail` (that
/// entry's), `note`, `cached`, `elapsed_us`, `generation` (``Gatekeeper/generation``).
struct DecisionLogLine {
    let outcome: Outcome
    let request: AuthRequest
    let elapsed: Duration
    let id: DecisionID
    let trace: TraceParent?
    let remedy: String?
    let generation: Int

    var json: String {
        let step = Self.decidingStep(of: outcome)
        return JSONText.object([
            ("time", JSONText.string(LogTimestamp.now())),
            ("decision_id", JSONText.string(id.description)),
            ("trace_id", JSONText.optional(trace?.traceID)),
            ("traceparent", JSONText.optional(trace?.header)),
            ("stack", string(outcome.stack)),
            ("decision", JSONText.string(outcome.decision.rawValue)),
            ("reason", JSONText.optional(outcome.isAllowed ? nil : (outcome.reason ?? .pluginError).code)),
            ("remedy", JSONText.optional(remedy)),
            ("status", String(outcome.status)),
            ("principal", outcome.isAllowed ? optional(outcome.principal) : "null"),
            ("client", JSONText.optional(outcome.client.map { "\($0)" })),
            ("client_source", string(outcome.clientNote)),
            ("peer", JSONText.optional(request.peer.map { "\($0)" })),
            ("method", string(request.method)),
            ("host", string(request.host)),
            ("path", string(Self.pathWithoutQuery(request.path))),
            ("credential", JSONText.string(outcome.credential.description)),
            ("entry", step.map { JSONText.object([("index", String($0.index)), ("plugin", JSONText.string($0.plugin))]) } ?? "null"),
            ("detail", optional(step?.detail)),
            ("note", optional(outcome.note)),
            ("cached", outcome.trace.contains { $0.cached } ? "true" : "false"),
            ("elapsed_us", String(elapsed.microseconds)),
            ("generation", String(generation)),
        ])
    }

    /// The target without its query (`/a?token=x` → `/a`): a query may carry a token.
    static func pathWithoutQuery(_ target: String) -> String {
        String(target.prefix { $0 != "?" })
    }

    /// The trace step of the entry that decided; nil when the host did.
    static func decidingStep(of outcome: Outcome) -> TraceStep? {
        guard let entry = outcome.decidedBy else { return nil }
        return outcome.trace.first { $0.index == entry }
    }

    /// A value from the request or a plugin as a JSON string, cut like the text log's.
    private func string(_ value: String) -> String {
        JSONText.string(Self.bounded(value))
    }

    private func optional(_ value: String?) -> String {
        value.map(string) ?? "null"
    }

    /// `value`, or its first ``LogText/limit`` bytes (whole scalars) and how long it was.
    static func bounded(_ value: String) -> String {
        guard value.utf8.count > LogText.limit else { return value }
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in value.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > LogText.limit { break }
            kept.append(scalar)
        }
        return String(kept) + "…(truncated, \(value.utf8.count) bytes)"
    }
}
