public import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A log handler for processes that print their own log: JSON decision lines (`[log] format =
/// "json"`, logged with source ``DecisionLog/jsonSource``) go to standard error as they are, one
/// JSON object per line, with nothing before them, so a log shipper reads them as JSON; every
/// other line goes to `wrapped` (`portcullis` wraps swift-log's `StreamLogHandler`).
///
/// Why a handler and not a format inside the runtime: the line must travel through swift-log, so
/// that a server embedding the middleware routes it with its own handler (by source, or as it
/// routes everything); only the last step, writing it without a text prefix, is this handler's.
public struct DecisionLineHandler: LogHandler {
    public var wrapped: any LogHandler

    public init(wrapping handler: any LogHandler) {
        wrapped = handler
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        guard event.source == DecisionLog.jsonSource else { return wrapped.log(event: event) }
        // One write(2) per line: lines from several threads never interleave.
        let line = "\(event.message)\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
    }
}
