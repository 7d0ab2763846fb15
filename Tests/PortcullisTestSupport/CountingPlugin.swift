import Foundation

extension TestSupport {
    /// Builds Tests/Fixtures/counting.c (a cacheable plugin that appends one byte to its `count_file`
    /// per check) into `directory` as `libportcullis-NAME.so`; `blocking` sets its blocking flag.
    public static func compileCountingPlugin(into directory: String, name: String = "counting", blocking: Bool = false) throws {
        try compileFixture("counting.c", prefix: "COUNTING", name: name, blocking: blocking, into: directory)
    }

    /// Builds `Tests/Fixtures/<file>`, whose `<PREFIX>_NAME` and `<PREFIX>_BLOCKING` macros name it
    /// and set its blocking flag, into `directory` as `libportcullis-NAME.so`.
    static func compileFixture(_ file: String, prefix: String, name: String, blocking: Bool, into directory: String) throws {
        var source = "#define \(prefix)_NAME \"\(name)\"\n"
        if blocking { source += "#define \(prefix)_BLOCKING 1\n" }
        source += try String(contentsOfFile: repositoryRoot + "/Tests/Fixtures/" + file, encoding: .utf8)
        try compilePlugin(source: source, to: directory + "/libportcullis-\(name).so")
    }

    /// How many checks the counting plugin answered: the size of its `count_file` (0 before any).
    public static func countedCalls(_ countFile: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: countFile)[.size]) as? Int) ?? 0
    }
}

extension TestSupport {
    /// Builds Tests/Fixtures/observer.c (ABI 1.1: appends one line per `observe` call to its
    /// `observe_file`) into `directory` as `libportcullis-NAME.so`.
    public static func compileObserverPlugin(into directory: String, name: String = "observer", blocking: Bool = false) throws {
        try compileFixture("observer.c", prefix: "OBSERVER", name: name, blocking: blocking, into: directory)
    }

    /// The lines the observer plugin wrote to `observeFile` (none before any).
    public static func observedLines(_ observeFile: String) -> [String] {
        ((try? String(contentsOfFile: observeFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Builds the debug plugin exactly as it was at ABI 1.0 (Tests/Fixtures/abi-1.0, against the
    /// 1.0 header) into `directory` as `libportcullis-NAME.so`.
    public static func compileABI10DebugPlugin(into directory: String, name: String = "debug10") throws {
        let fixture = repositoryRoot + "/Tests/Fixtures/abi-1.0"
        let source = try String(contentsOfFile: fixture + "/debug.c", encoding: .utf8)
            .replacingOccurrences(of: "\"debug\"", with: "\"\(name)\"")
        try compilePlugin(source: source, to: directory + "/libportcullis-\(name).so", includeDirectory: fixture)
    }
}
