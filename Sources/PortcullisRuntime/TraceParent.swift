import PortcullisProtocol
import W3CTraceContext

/// The W3C Trace Context (`traceparent`) a request carried, when it is valid: version `00`, a
/// 32-hex trace id and a 16-hex parent id, neither all zeros, and two hex digits of flags, all
/// lowercase (swift-w3c-trace-context checks each). The decision log carries its trace id, and the
/// answer echoes it, so a decision can be found from a trace. An invalid or repeated header is
/// ignored: tracing never changes a decision.
struct TraceParent: Sendable, Equatable {
    /// The header as it was validated (`00-<trace id>-<parent id>-<flags>`).
    let header: String
    /// The trace id, 32 lowercase hex digits.
    let traceID: String

    /// The one valid `traceparent` among `headers`, or nil.
    init?(_ headers: [HTTPHeader]) {
        var found: String? = nil
        for header in headers where header.name.equalsIgnoringASCIICase("traceparent") {
            // More than one header is not a trace context (W3C Trace Context §3.2: one field).
            guard found == nil else { return nil }
            found = header.value
        }
        guard let found, let context = try? TraceContext(traceParentHeaderValue: found) else { return nil }
        header = context.traceParentHeaderValue
        traceID = context.traceID.description
    }
}
