/// Helpers shared by every test target: paths of the build, temporary directories, files,
/// processes, C plugins compiled on the fly and `Basic` credentials. One concept per file;
/// the target-specific helpers (fixtures, assertions) stay next to their tests.
public enum TestSupport {}

/// A test-setup failure with a readable message (a tool that failed, a compiler error).
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
