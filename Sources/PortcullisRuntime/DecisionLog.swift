import Logging
import Portcullis
import PortcullisProtocol

/// One log line per decision. The credential appears only as its summary (kind, scheme, Basic
/// user-id), the target only as its path: a query string may carry a token. Every value from the
/// request is escaped and bounded (``LogText``): one decision, one line.
enum DecisionLog {
    static func write(_ outcome: Outcome, request: AuthRequest, elapsed: Duration, to logger: Logger) {
        guard logger.logLevel <= .info else { return }
        var metadata: Logger.Metadata = [
            "stack": "\(LogText.escaped(outcome.stack))",
            "decision": "\(outcome.decision.rawValue)",
            "status": "\(outcome.status)",
            "method": "\(LogText.escaped(request.method))",
            "path": "\(LogText.escaped(String(request.path.prefix { $0 != "?" })))",
            "client": "\(outcome.client.map { "\($0)" } ?? "unknown")",
            "peer": "\(request.peer.map { "\($0)" } ?? "unknown")",
            "credential": "\(outcome.credential)",
            "micros": "\(elapsed.microseconds)",
            "cached": "\(outcome.trace.contains { $0.cached })",
        ]
        if let reason = outcome.reason { metadata["reason"] = "\(reason.code)" }
        if let principal = outcome.principal { metadata["principal"] = "\(LogText.escaped(principal))" }
        if let note = outcome.note { metadata["note"] = "\(LogText.escaped(note))" }
        // What the deciding entry said (plugins keep secrets out of details): a csrf deny names
        // the header and check that failed, which the reason alone cannot.
        if let entry = outcome.decidedBy, let detail = outcome.trace.first(where: { $0.index == entry })?.detail {
            metadata["detail"] = "\(LogText.escaped(detail))"
        }
        logger.info("decision", metadata: metadata)
    }
}
