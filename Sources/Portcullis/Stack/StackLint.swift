/// Warnings about stacks that are valid but probably not what the operator meant.
///
/// The dispatcher follows Linux-PAM exactly, and in PAM a success anywhere counts: an address
/// check under `required` or `requisite` that allows makes the stack's impression positive, so
/// a later credential plugin that finds no credentials (and answers `ignore`) does not stop the
/// request. PAM stacks end with `pam_deny` for this reason; here the idiom is a gate that cannot
/// grant: `control = "[allow=ignore default=die]"`.
enum StackLint {
    static func warnings(for stack: Stack, configuration: Configuration.StackConfiguration) -> [String] {
        var warnings: [String] = []
        for (index, entry) in stack.entries.enumerated() where entry.plugin.consumes.isEmpty && entry.control.allow == .ok {
            let later = stack.entries[(index + 1)...]
            guard later.contains(where: { !$0.plugin.consumes.isEmpty }) else { continue }
            warnings.append("""
                \(configuration.entries[index].key) (\(entry.plugin.name), \(entry.control)): its allow counts as \
                success, so a request without credentials is let in unless a later entry denies it; to check the \
                address without granting access, use control = "[allow=ignore default=die]"
                """)
        }
        return warnings
    }
}
