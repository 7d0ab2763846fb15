import Logging
import Portcullis
import PortcullisProtocol

/// One log line per decision, at info level, in the format `[log] format` names: `text` (a
/// `decision` message with the facts as metadata, as always) or `json` (``DecisionLogLine``).
/// The credential appears only as its summary (kind, scheme, Basic user-id), the target only as
/// its path: a query string may carry a token. Every value from the request is escaped and
/// bounded (``LogText``): one decision, one line. A deny carries its ``Remedy``, for the operator.
///
/// Nothing is built unless the logger lets info through.
enum DecisionLog {
    /// The `source` of each JSON line. In the JSON format the whole line is the log *message*
    /// (no metadata), so it reaches whatever handler an embedding server bootstrapped, and a
    /// handler can route or print it bare by this source (``DecisionLineHandler`` does).
    static let jsonSource = "portcullis.decision"

    static func write(_ outcome: Outcome, request: AuthRequest, elapsed: Duration, id: DecisionID, trace: TraceParent?,
                      gatekeeper: Gatekeeper, to logger: Logger) {
        guard logger.logLevel <= .info else { return }
        let remedy = Remedy.sentence(for: outcome, request: request, stack: gatekeeper.stack(named: outcome.stack))
        switch gatekeeper.configuration.log.format {
        case .json:
            let line = DecisionLogLine(
                outcome: outcome, request: request, elapsed: elapsed, id: id, trace: trace, remedy: remedy, generation: gatekeeper.generation)
            logger.info("\(line.json)", source: jsonSource)
        case .text:
            writeText(outcome, request: request, elapsed: elapsed, id: id, trace: trace, remedy: remedy, to: logger)
        }
    }

    private static func writeText(_ outcome: Outcome, request: AuthRequest, elapsed: Duration, id: DecisionID, trace: TraceParent?,
                                  remedy: String?, to logger: Logger) {
        var metadata: Logger.Metadata = [
            "stack": "\(LogText.escaped(outcome.stack))",
            "decision": "\(outcome.decision.rawValue)",
            "decision_id": "\(id)",
            "status": "\(outcome.status)",
            "method": "\(LogText.escaped(request.method))",
            "path": "\(LogText.escaped(DecisionLogLine.pathWithoutQuery(request.path)))",
            "client": "\(outcome.client.map { "\($0)" } ?? "unknown")",
            "peer": "\(request.peer.map { "\($0)" } ?? "unknown")",
            "credential": "\(outcome.credential)",
            "micros": "\(elapsed.microseconds)",
            "cached": "\(outcome.trace.contains { $0.cached })",
        ]
        if let reason = outcome.reason { metadata["reason"] = "\(reason.code)" }
        if let remedy { metadata["remedy"] = "\(LogText.escaped(remedy, limit: 1024))" }
        if let principal = outcome.principal { metadata["principal"] = "\(LogText.escaped(principal))" }
        if let note = outcome.note { metadata["note"] = "\(LogText.escaped(note))" }
        if let trace { metadata["trace_id"] = "\(trace.traceID)" }
        // What the deciding entry said (plugins keep secrets out of details): a csrf deny names
        // the header and check that failed, which the reason alone cannot.
        if let detail = DecisionLogLine.decidingStep(of: outcome)?.detail {
            metadata["detail"] = "\(LogText.escaped(detail))"
        }
        logger.info("decision", metadata: metadata)
    }
}
