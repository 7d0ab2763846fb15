import Synchronization

/// The configuration generation: a number that goes up by one each time a configuration is loaded
/// successfully in this process (the first load is 1, every reload that is taken adds one). The
/// decision log carries it, so a line can be matched to the configuration that decided it, across
/// reloads, without comparing files.
package enum ConfigurationGeneration {
    private static let counter = Atomic<Int>(0)

    /// The next generation: called once per gatekeeper, after everything in it loaded.
    package static func next() -> Int {
        counter.wrappingAdd(1, ordering: .relaxed).newValue
    }
}
