import Foundation

extension TestSupport {
    /// Builds Tests/Fixtures/counting.c (a cacheable plugin that appends one byte to its `count_file`
    /// per check) into `directory` as `libportcullis-NAME.so`; `blocking` sets its blocking flag.
    public static func compileCountingPlugin(into directory: String, name: String = "counting", blocking: Bool = false) throws {
        var source = "#define COUNTING_NAME \"\(name)\"\n"
        if blocking { source += "#define COUNTING_BLOCKING 1\n" }
        source += try String(contentsOfFile: repositoryRoot + "/Tests/Fixtures/counting.c", encoding: .utf8)
        try compilePlugin(source: source, to: directory + "/libportcullis-\(name).so")
    }

    /// How many checks the counting plugin answered: the size of its `count_file` (0 before any).
    public static func countedCalls(_ countFile: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: countFile)[.size]) as? Int) ?? 0
    }
}
