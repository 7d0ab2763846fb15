/// Warns about arguments given as an empty list (`allow = []`, often a template whose list
/// rendered empty). The plugin sees the list as given and empty, never as absent, so an empty
/// allow list allows no one; that is safe, but rarely what the operator meant.
enum EmptyListLint {
    static func warnings(for configuration: Configuration) -> [String] {
        configuration.stacks.flatMap(\.entries).flatMap { entry in
            entry.arguments.compactMap { EmptyListArgument.key(of: $0.name) }.map { key in
                "\(entry.key).\(key) (\(entry.plugin)): an empty list; the plugin sees it as given with no entries, "
                    + "not as absent (an empty allow list allows no one)"
            }
        }
    }
}
