extension TestSupport {
    /// Compiles C source into a plugin shared library with the system C compiler (no SwiftPM, no
    /// Swift: it proves the ABI is language-neutral) and returns `path`. The source is kept next to
    /// it as `path.c`.
    @discardableResult
    /// `includeDirectory` holds the `portcullis_plugin.h` to build against (default: today's).
    public static func compilePlugin(source: String, to path: String, includeDirectory: String = abiIncludeDirectory) throws -> String {
        let sourcePath = path + ".c"
        try write(source, to: sourcePath)
        let result = try run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-Wall", "-Werror", "-I", includeDirectory, sourcePath, "-o", path])
        guard result.status == 0 else { throw TestFailure("cc failed: \(result.stderr)") }
        return path
    }
}
