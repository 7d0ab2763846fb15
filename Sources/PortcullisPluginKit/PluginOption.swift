/// One argument a plugin accepts: its plugin's declarative option table is a list of these.
///
/// Arguments cross the ABI as name/value strings; a TOML array arrives as one pair per element,
/// an empty array as one `name[]` pair (``EmptyListArgument``): a `.list` option given empty.
public struct PluginOption: Sendable {
    public enum Kind: Sendable, Equatable {
        case string
        case bool
        case integer(ClosedRange<Int>)
        /// Repeatable: every occurrence is kept, in order.
        case list
    }

    public let name: String
    public let kind: Kind
    public let isRequired: Bool
    public let help: String

    public static func string(_ name: String, required: Bool = false, help: String) -> PluginOption {
        PluginOption(name: name, kind: .string, isRequired: required, help: help)
    }

    public static func bool(_ name: String, help: String) -> PluginOption {
        PluginOption(name: name, kind: .bool, isRequired: false, help: help)
    }

    public static func integer(_ name: String, in range: ClosedRange<Int>, help: String) -> PluginOption {
        PluginOption(name: name, kind: .integer(range), isRequired: false, help: help)
    }

    public static func list(_ name: String, help: String) -> PluginOption {
        PluginOption(name: name, kind: .list, isRequired: false, help: help)
    }
}

/// A stack entry's arguments, checked against a plugin's option table.
public struct PluginOptions: Sendable {
    private var values: [String: [String]]

    /// An argument the table refuses: the same type a plugin throws for one it cannot use.
    public typealias Error = PluginConfigurationError

    /// Checks `arguments` against `table`: unknown names, repeats of scalars, wrong types,
    /// out-of-range numbers and missing required arguments are errors, never warnings.
    public init(_ arguments: [(name: String, value: String)], table: [PluginOption]) throws(Error) {
        var values: [String: [String]] = [:]
        for (argument, value) in arguments {
            let emptyList = EmptyListArgument.key(of: argument)
            let name = emptyList ?? argument
            guard let option = table.first(where: { $0.name == name }) else {
                let known = table.map(\.name).sorted().joined(separator: ", ")
                throw Error(description: "unknown argument '\(name)' (this plugin accepts: \(known.isEmpty ? "none" : known))")
            }
            if option.kind != .list, values[name] != nil {
                throw Error(description: "argument '\(name)' given more than once")
            }
            if emptyList != nil {
                guard option.kind == .list else { throw Error(description: "argument '\(name)' takes one value, not an empty list") }
                guard value.isEmpty else { throw Error(description: "argument '\(argument)' must have an empty value") }
                values[name, default: []] += []
                continue
            }
            switch option.kind {
            case .bool where value != "true" && value != "false":
                throw Error(description: "argument '\(name)' must be true or false, not '\(value)'")
            case .integer(let range):
                guard let number = Int(value), range.contains(number) else {
                    throw Error(description: "argument '\(name)' must be an integer in \(range.lowerBound)...\(range.upperBound), not '\(value)'")
                }
            default:
                break
            }
            values[name, default: []].append(value)
        }
        for option in table where option.isRequired && values[option.name] == nil {
            throw Error(description: "missing required argument '\(option.name)'")
        }
        self.values = values
    }

    public func string(_ name: String) -> String? { values[name]?.first }

    public func bool(_ name: String, default defaultValue: Bool) -> Bool {
        values[name]?.first.map { $0 == "true" } ?? defaultValue
    }

    public func integer(_ name: String, default defaultValue: Int) -> Int {
        values[name]?.first.flatMap { Int($0) } ?? defaultValue
    }

    public func list(_ name: String) -> [String] { values[name] ?? [] }

    /// Whether the argument was given at all: a list given empty (`allow = []`) is given.
    public func contains(_ name: String) -> Bool { values[name] != nil }
}
