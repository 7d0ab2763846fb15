/// `[log]`: how the decision log is written. Read on every load, so a reload changes it.
package struct LogSettings: Sendable, Equatable {
    /// One line per decision, in the shape today's log processors already parse (`text`), or one
    /// JSON object per line for a log pipeline (`json`; docs/configuration.md lists its fields).
    package enum Format: String, Sendable, Equatable {
        case text
        case json
    }

    package var format = Format.text

    package init() {}
}
