/// A rules file that cannot be used: `file:line: key: message`, as the host's configuration
/// errors read. The line is nil only when the key cannot be found in the text.
public struct RuleFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    /// `rule[2].paths`, or `rule` for the file as a whole.
    public let key: String
    public let message: String

    public var description: String {
        "\(file):\(line.map(String.init) ?? "?"): \(key): \(message)"
    }
}
