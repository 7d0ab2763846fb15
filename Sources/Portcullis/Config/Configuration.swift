import PortcullisNetwork
import PortcullisProtocol
import TOMLKit

#if canImport(Glibc)
import Glibc
#endif

/// A validated configuration file: where plugins live, whom to trust, how reasons map to
/// statuses, and the named stacks. Parsing never loads plugins; ``Gatekeeper`` does that.
public struct Configuration: Sendable {
    public var file: String
    /// `plugin_dir`; nil = the default search. `PORTCULLIS_PLUGIN_DIR` overrides it (see ``PluginSearchPath``).
    public var pluginDirectory: String?
    public var resolver: ClientAddressResolver
    public var responsePolicy: ResponsePolicy
    /// `[server] listen`, used by `portcullis serve`.
    public var listen: String
    /// The rest of `[server]`: how `portcullis serve` answers and how many blocking checks it runs.
    package var server: ServerSettings
    /// `[cache]`: the verification cache for `.cacheable` plugins.
    package var cache: CacheSettings
    /// `[store]`: where plugins' shared state (lockout) lives. Read at start, like `[server]`.
    package var store = StoreConfiguration()
    /// `[log]`: the decision log's format.
    package var log = LogSettings()
    /// In file order.
    public var stacks: [StackConfiguration]

    public struct StackConfiguration: Sendable {
        public var name: String
        public var entries: [EntryConfiguration]
    }

    public struct EntryConfiguration: Sendable {
        public var plugin: String
        public var control: Control
        /// Explicit library file; nil = found in the plugin directory by name.
        public var path: String?
        /// `anonymous = true`: this entry's allow lets a request in without a principal.
        public var anonymous: Bool
        /// Every other key, as strings; a TOML array gives one pair per element, an empty one
        /// a single `name[]` pair (``EmptyListArgument``), so "given, empty" stays distinct from absent.
        public var arguments: [(name: String, value: String)]
        /// `stack.default[0]`, for messages.
        public var key: String
        public var line: Int?
    }

    init(file: String, pluginDirectory: String?, resolver: ClientAddressResolver, responsePolicy: ResponsePolicy,
         listen: String, server: ServerSettings = ServerSettings(), cache: CacheSettings = CacheSettings(),
         stacks: [StackConfiguration]) {
        self.file = file
        self.pluginDirectory = pluginDirectory
        self.resolver = resolver
        self.responsePolicy = responsePolicy
        self.listen = listen
        self.server = server
        self.cache = cache
        self.stacks = stacks
    }

    /// Reads and validates `path`.
    public init(contentsOf path: String) throws(ConfigError) {
        guard let text = Self.read(path) else {
            throw ConfigError(file: path, line: nil, key: "", message: "cannot read the file: \(String(cString: strerror(errno)))")
        }
        try self.init(parsing: text, file: path)
    }

    /// Validates `text`; `file` names it in errors.
    public init(parsing text: String, file: String) throws(ConfigError) {
        if let line = TOMLHeaderCheck.badHeaderLine(in: text) {
            throw ConfigError(file: file, line: line, key: "", message: "TOML syntax: a table header's key must start with a letter, digit, '_', '-' or a quote")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, key: "", message: "TOML syntax: \(error.description)")
        } catch {
            throw ConfigError(file: file, line: nil, key: "", message: "TOML syntax: \(error)")
        }
        var parser = Parser(file: file, lines: SourceLines(text), directory: Self.directory(of: file))
        self = try parser.configuration(from: table)
    }

    /// The absolute directory holding `file`, for `${config_dir}` in arguments.
    private static func directory(of file: String) -> String {
        let directory = file.contains("/") ? String(file[..<(file.lastIndex(of: "/") ?? file.endIndex)]) : "."
        guard let resolved = realpath(directory.isEmpty ? "/" : directory, nil) else { return directory }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func read(_ path: String) -> String? {
        guard let handle = fopen(path, "r") else { return nil }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, handle)
            if count == 0 { break }
            bytes += buffer[..<count]
        }
        guard ferror(handle) == 0 else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func stack(named name: String) -> StackConfiguration? {
        stacks.first { $0.name == name }
    }
}

/// Turns a TOML table into a ``Configuration``, failing on the first problem with its location.
private struct Parser {
    let file: String
    let lines: SourceLines
    /// Replaces `${config_dir}` in string arguments, so a configuration can name files beside it.
    let directory: String

    func error(_ key: String, table: String? = nil, occurrence: Int = 0, lineKey: String? = nil, _ message: String) -> ConfigError {
        ConfigError(file: file, line: lines.line(table: table, occurrence: occurrence, key: lineKey), key: key, message: message)
    }

    mutating func configuration(from root: TOMLTable) throws(ConfigError) -> Configuration {
        let known = ["plugin_dir", "proxy", "status", "response", "server", "cache", "store", "log", "stack"]
        for key in root.keys where !known.contains(key) {
            throw error(key, lineKey: key, "unknown setting (expected one of: \(known.joined(separator: ", ")))")
        }
        var pluginDirectory: String? = nil
        if let value = root["plugin_dir"] {
            guard let directory = value.string, directory.hasPrefix("/") else {
                throw error("plugin_dir", lineKey: "plugin_dir", "must be an absolute path string")
            }
            pluginDirectory = directory
        }
        let stacks = try stacks(root["stack"])
        let server = try server(root["server"])
        var policy = try responsePolicy(status: root["status"], response: root["response"])
        policy.allowStatus = server.allowStatus
        var configuration = Configuration(
            file: file, pluginDirectory: pluginDirectory, resolver: try resolver(root["proxy"]), responsePolicy: policy,
            listen: try listen(root["server"]), server: server, cache: try cache(root["cache"]), stacks: stacks)
        configuration.store = try store(root["store"])
        configuration.log = try log(root["log"])
        return configuration
    }

    private func log(_ value: (any TOMLValueConvertible)?) throws(ConfigError) -> LogSettings {
        var settings = LogSettings()
        guard let log = try table(value, "log", known: ["format"]) else { return settings }
        if let value = log["format"] {
            guard let format = value.string.flatMap(LogSettings.Format.init(rawValue:)) else {
                throw error("log.format", table: "log", lineKey: "format", "must be \"text\" or \"json\"")
            }
            settings.format = format
        }
        return settings
    }

    private func store(_ value: (any TOMLValueConvertible)?) throws(ConfigError) -> StoreConfiguration {
        var settings = StoreConfiguration()
        guard let store = try table(value, "store", known: ["backend", "url", "timeout", "retry_interval", "max_keys"]) else { return settings }
        if let value = store["backend"] {
            guard let backend = value.string.flatMap(StoreConfiguration.Backend.init(rawValue:)) else {
                throw error("store.backend", table: "store", lineKey: "backend", "must be \"memory\" or \"postgres\"")
            }
            settings.backend = backend
        }
        if let value = store["url"] {
            guard let url = value.string, url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") else {
                throw error("store.url", table: "store", lineKey: "url", "must be a postgresql:// URL")
            }
            guard settings.backend == .postgres else {
                throw error("store.url", table: "store", lineKey: "url", "is only for backend = \"postgres\"")
            }
            settings.url = url
        } else if settings.backend == .postgres {
            throw error("store.url", table: "store", lineKey: "backend", "backend = \"postgres\" needs url = \"postgresql://…\"")
        }
        if store["timeout"] != nil { settings.timeout = try seconds(store, "store", "timeout", in: 0.01...60) }
        if store["retry_interval"] != nil { settings.retryInterval = try seconds(store, "store", "retry_interval", in: 0.1...3600) }
        if store["max_keys"] != nil { settings.maxKeys = try integer(store, "store", "max_keys", in: 1000...100_000_000) }
        return settings
    }

    private func table(_ value: (any TOMLValueConvertible)?, _ name: String, known: [String]) throws(ConfigError) -> TOMLTable? {
        guard let value else { return nil }
        guard let table = value.table else { throw error(name, lineKey: name, "must be a table ([\(name)])") }
        for key in table.keys where !known.isEmpty && !known.contains(key) {
            throw error("\(name).\(key)", table: name, lineKey: key, "unknown setting (expected one of: \(known.joined(separator: ", ")))")
        }
        return table
    }

    private func resolver(_ value: (any TOMLValueConvertible)?) throws(ConfigError) -> ClientAddressResolver {
        guard let proxy = try table(value, "proxy", known: ["trusted", "header"]) else { return ClientAddressResolver() }
        var trusted: [IPPrefix] = []
        if let list = proxy["trusted"] {
            guard let array = list.array else { throw error("proxy.trusted", table: "proxy", lineKey: "trusted", "must be an array of addresses or CIDR prefixes") }
            for item in array {
                guard let text = item.string else { throw error("proxy.trusted", table: "proxy", lineKey: "trusted", "must contain strings") }
                do {
                    trusted.append(try IPPrefix(parsing: text))
                } catch {
                    throw self.error("proxy.trusted", table: "proxy", lineKey: "trusted", error.description)
                }
            }
        }
        var header = ClientAddressResolver.Header.xForwardedFor
        if let value = proxy["header"] {
            guard let name = value.string.flatMap({ ClientAddressResolver.Header(rawValue: $0.lowercased()) }) else {
                throw error("proxy.header", table: "proxy", lineKey: "header", "must be \"X-Forwarded-For\" or \"Forwarded\"")
            }
            header = name
        }
        return ClientAddressResolver(trusted: trusted, header: header)
    }

    private func responsePolicy(status: (any TOMLValueConvertible)?, response: (any TOMLValueConvertible)?) throws(ConfigError) -> ResponsePolicy {
        var policy = ResponsePolicy()
        if let status = try table(status, "status", known: []) {
            for key in status.keys {
                guard let reason = ReasonCode(code: key) else {
                    throw error("status.\(key)", table: "status", lineKey: key,
                                "unknown reason code (expected one of: \(ReasonCode.allCases.map(\.code).joined(separator: ", ")))")
                }
                guard let code = status[key]?.int, (400...599).contains(code) else {
                    throw error("status.\(key)", table: "status", lineKey: key, "must be an HTTP error status (400-599)")
                }
                policy.overrides[reason] = code
            }
        }
        if let response = try table(response, "response", known: ["principal_header", "attribute_prefix"]) {
            for (key, apply) in [("principal_header", { (policy: inout ResponsePolicy, v: String) in policy.principalHeader = v }),
                                 ("attribute_prefix", { (policy: inout ResponsePolicy, v: String) in policy.attributeHeaderPrefix = v })] {
                guard let value = response[key] else { continue }
                guard let text = value.string, !text.isEmpty, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else {
                    throw error("response.\(key)", table: "response", lineKey: key, "must be a header name")
                }
                apply(&policy, text)
            }
        }
        return policy
    }

    private static let serverKeys = ["listen", "allow_status", "blocking_threads", "blocking_queue", "original_request",
                                     "header_timeout", "idle_timeout", "max_connections", "check_timeout", "metrics_listen",
                                     "admin_socket", "watch"]

    private func listen(_ value: (any TOMLValueConvertible)?) throws(ConfigError) -> String {
        guard let server = try table(value, "server", known: Self.serverKeys), let listen = server["listen"] else { return "127.0.0.1:9180" }
        guard let text = listen.string, text.contains(":") else {
            throw error("server.listen", table: "server", lineKey: "listen", "must be \"host:port\", e.g. \"127.0.0.1:9180\"")
        }
        return text
    }

    private func server(_ value: (any TOMLValueConvertible)?) throws(ConfigError) -> ServerSettings {
        var settings = ServerSettings()
        guard let server = try table(value, "server", known: Self.serverKeys) else { return settings }
        if server["allow_status"] != nil {
            let status = try integer(server, "server", "allow_status", in: 200...204)
            guard status == 200 || status == 204 else {
                throw error("server.allow_status", table: "server", lineKey: "allow_status", "must be 200 or 204")
            }
            settings.allowStatus = status
        }
        if server["blocking_threads"] != nil { settings.blockingThreads = try integer(server, "server", "blocking_threads", in: 1...1024) }
        if server["blocking_queue"] != nil { settings.blockingQueue = try integer(server, "server", "blocking_queue", in: 0...1_000_000) }
        if let value = server["original_request"] {
            guard let family = value.string.flatMap(ServerSettings.OriginalRequestHeaders.init(rawValue:)) else {
                throw error("server.original_request", table: "server", lineKey: "original_request",
                            "must be \"x-original\" (nginx) or \"x-forwarded\" (Traefik, Caddy)")
            }
            settings.originalRequest = family
        }
        if server["header_timeout"] != nil { settings.headerTimeout = try seconds(server, "server", "header_timeout", in: 0.1...3600) }
        if server["idle_timeout"] != nil { settings.idleTimeout = try seconds(server, "server", "idle_timeout", in: 0.1...86_400) }
        if server["check_timeout"] != nil { settings.checkTimeout = try seconds(server, "server", "check_timeout", in: 0.01...3600) }
        if server["max_connections"] != nil { settings.maxConnections = try integer(server, "server", "max_connections", in: 1...1_000_000) }
        if let value = server["metrics_listen"] {
            let listen = server["listen"]?.string ?? "127.0.0.1:9180"
            guard let text = value.string, text.isEmpty || text == "off" || text.contains(":") else {
                throw error("server.metrics_listen", table: "server", lineKey: "metrics_listen",
                            "must be \"host:port\" (e.g. \"127.0.0.1:9181\"), or \"off\"")
            }
            guard text != listen else {
                throw error("server.metrics_listen", table: "server", lineKey: "metrics_listen", "must differ from server.listen")
            }
            settings.metricsListen = text.isEmpty || text == "off" ? nil : text
        }
        if let value = server["admin_socket"] {
            guard let path = value.string, path.hasPrefix("/"), !path.hasSuffix("/"), path.utf8.count < 108 else {
                throw error("server.admin_socket", table: "server", lineKey: "admin_socket",
                            "must be an absolute path to a socket file (under 108 bytes), e.g. \"/run/portcullis/admin.sock\"")
            }
            settings.adminSocket = path
        }
        if let value = server["watch"] {
            guard value.type == .bool, let flag = value.bool else { throw error("server.watch", table: "server", lineKey: "watch", "must be true or false") }
            settings.watch = flag
        }
        return settings
    }

    /// A duration setting `key` in `[table]`: seconds, an integer or a decimal, within `range`.
    private func seconds(_ table: TOMLTable, _ name: String, _ key: String, in range: ClosedRange<Double>) throws(ConfigError) -> Duration {
        let number: Double? = switch table[key]?.type {
        case .int?: table[key]?.int.map(Double.init)
        case .double?: table[key]?.double
        default: nil
        }
        guard let number, range.contains(number) else {
            throw error("\(name).\(key)", table: name, lineKey: key,
                        "must be a number of seconds from \(range.lowerBound.formatted) to \(range.upperBound.formatted)")
        }
        return .milliseconds(Int((number * 1000).rounded()))
    }

    private func cache(_ value: (any TOMLValueConvertible)?) throws(ConfigError) -> CacheSettings {
        var settings = CacheSettings()
        guard let cache = try table(value, "cache", known: ["enabled", "positive_ttl", "negative_ttl", "max_entries"]) else { return settings }
        if let enabled = cache["enabled"] {
            guard enabled.type == .bool, let flag = enabled.bool else {
                throw error("cache.enabled", table: "cache", lineKey: "enabled", "must be true or false")
            }
            settings.enabled = flag
        }
        if cache["positive_ttl"] != nil { settings.positiveTTL = try integer(cache, "cache", "positive_ttl", in: 0...86_400) }
        if cache["negative_ttl"] != nil { settings.negativeTTL = try integer(cache, "cache", "negative_ttl", in: 0...86_400) }
        if cache["max_entries"] != nil { settings.maxEntries = try integer(cache, "cache", "max_entries", in: 1...10_000_000) }
        return settings
    }

    /// An integer setting `key` in `[table]`, within `range`.
    private func integer(_ table: TOMLTable, _ name: String, _ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let value = table[key], value.type == .int, let number = value.int, range.contains(number) else {
            throw error("\(name).\(key)", table: name, lineKey: key, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    private func stacks(_ value: (any TOMLValueConvertible)?) throws(ConfigError) -> [Configuration.StackConfiguration] {
        guard let value else { throw error("stack", "no stacks: define at least [[stack.default]]") }
        guard let stacks = value.table else { throw error("stack", lineKey: "stack", "must hold named stacks: [[stack.NAME]]") }
        var result: [Configuration.StackConfiguration] = []
        for name in stacks.keys {
            let tableName = "stack.\(name)"
            guard PluginLoader.isValidName(name) else {
                throw error(tableName, table: tableName, lineKey: nil, "stack names are lowercase letters, digits, '-' and '_'")
            }
            guard let array = stacks[name]?.array, !array.isEmpty else {
                throw error(tableName, table: tableName, lineKey: nil, "must be an array of entries: [[\(tableName)]]")
            }
            var entries: [Configuration.EntryConfiguration] = []
            for (index, item) in array.enumerated() {
                guard let entry = item.table else {
                    throw error("\(tableName)[\(index)]", table: tableName, occurrence: index, "each entry must be a table")
                }
                entries.append(try self.entry(entry, stack: tableName, index: index))
            }
            result.append(.init(name: name, entries: entries))
        }
        // TOMLKit's tables are sorted; show stacks in the order the file defines them.
        return result.sorted { (lines.line(table: "stack.\($0.name)", key: nil) ?? 0) < (lines.line(table: "stack.\($1.name)", key: nil) ?? 0) }
    }

    private func entry(_ entry: TOMLTable, stack: String, index: Int) throws(ConfigError) -> Configuration.EntryConfiguration {
        let key = "\(stack)[\(index)]"
        func fail(_ name: String?, _ message: String) -> ConfigError {
            error(name.map { "\(key).\($0)" } ?? key, table: stack, occurrence: index, lineKey: name, message)
        }
        guard let plugin = entry["plugin"]?.string else { throw fail(nil, "missing 'plugin = \"NAME\"'") }
        guard PluginLoader.isValidName(plugin) else { throw fail("plugin", "'\(plugin)' is not a plugin name (lowercase letters, digits, '-', '_')") }
        guard let controlText = entry["control"]?.string else {
            throw fail(nil, "missing 'control' (required, requisite, sufficient, optional or [verdict=action ...])")
        }
        let control: Control
        do {
            control = try Control(parsing: controlText)
        } catch {
            throw fail("control", error.description)
        }
        var path: String? = nil
        if let value = entry["path"] {
            guard let text = value.string, text.hasPrefix("/") else { throw fail("path", "must be an absolute path to the plugin's .so") }
            path = text
        }
        var anonymous = false
        if let value = entry["anonymous"] {
            guard value.type == .bool, let flag = value.bool else { throw fail("anonymous", "must be true or false") }
            anonymous = flag
        }
        var arguments: [(name: String, value: String)] = []
        // The host's own keys; never passed to the plugin.
        for name in entry.keys where !Self.hostKeys.contains(name) {
            guard let value = entry[name] else { continue }
            if let array = value.array {
                if array.isEmpty { arguments.append((EmptyListArgument.name(for: name), "")) }
                for element in array {
                    guard let text = scalar(element) else { throw fail(name, "array elements must be strings, integers or booleans") }
                    arguments.append((name, text))
                }
            } else {
                guard let text = scalar(value) else { throw fail(name, "must be a string, integer, boolean or an array of those") }
                arguments.append((name, text))
            }
        }
        return .init(plugin: plugin, control: control, path: path, anonymous: anonymous, arguments: arguments, key: key,
                     line: lines.line(table: stack, occurrence: index, key: nil))
    }

    /// Keys of a stack entry that the host reads and plugins never see.
    static let hostKeys = ["plugin", "control", "path", "anonymous"]

    private func scalar(_ value: any TOMLValueConvertible) -> String? {
        if value.type == .string { return value.string?.replacing("${config_dir}", with: directory) }
        if value.type == .int { return value.int.map(String.init) }
        if value.type == .bool { return value.bool.map { $0 ? "true" : "false" } }
        return nil
    }
}

private extension Double {
    /// `0.1`, `3600` (no trailing `.0`), for messages.
    var formatted: String { rounded() == self ? String(Int(self)) : String(self) }
}
