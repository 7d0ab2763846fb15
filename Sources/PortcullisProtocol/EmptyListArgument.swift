/// How an empty list crosses the ABI's argument list.
///
/// A non-empty TOML array arrives as one `name`/`value` pair per element, so an empty one would
/// arrive as nothing at all, indistinguishable from an absent key: `allow = []` would become "no
/// allow list". Instead the host passes one pair named `name[]` with an empty value, meaning
/// "given, and empty". A plugin that does not know the convention sees an unknown argument and
/// refuses to start, which is the safe answer.
public enum EmptyListArgument {
    public static let suffix = "[]"

    /// The argument name that says "`key` was given as an empty list".
    public static func name(for key: String) -> String { key + suffix }

    /// The key an empty-list marker stands for, or nil when `name` is an ordinary argument.
    public static func key(of name: String) -> String? {
        name.hasSuffix(suffix) && name.count > suffix.count ? String(name.dropLast(suffix.count)) : nil
    }
}
