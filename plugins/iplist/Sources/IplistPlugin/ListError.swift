import PortcullisPluginKit

/// A list that cannot be loaded: names the file (or argument) and the line, so the operator
/// can fix it. The old lists stay in force when a reload meets one of these.
public struct ListError: Error, Equatable, CustomStringConvertible {
    /// A file path, or an argument such as `argument 'allow'`.
    public let source: String
    /// 1-based line in a file, or the 1-based element of an argument's array.
    public let line: Int?
    public let message: String

    public init(source: String, line: Int? = nil, message: String) {
        self.source = source
        self.line = line
        self.message = message
    }

    public var description: String {
        guard let line else { return "\(source): \(message)" }
        return "\(source):\(line): \(message)"
    }
}

extension ListError {
    /// A file that could not be read: the system's reason (e.g. `/etc/allow.txt: No such file
    /// or directory`). Anything else comes through as it is.
    init(_ error: any Error) {
        switch error {
        case let error as ListError: self = error
        case let error as FileReadError: self.init(source: error.path, message: error.reason)
        default: self.init(source: "iplist", message: String(describing: error))
        }
    }
}
