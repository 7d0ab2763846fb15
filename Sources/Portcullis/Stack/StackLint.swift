/// Warnings about stacks that are valid but probably not what the operator meant.
///
/// The unsafe forms are not warnings any more: an allow needs a principal (or an entry marked
/// `anonymous = true`), and credential plugins deny when their credential is missing, so a
/// stack of address checks and credential plugins cannot let a request in without credentials
/// whatever its controls (design note 3a). What is left to warn about is the opposite mistake.
enum StackLint {
    static func warnings(for stack: Stack, configuration: Configuration.StackConfiguration) -> [String] {
        var warnings: [String] = []
        let consumesCredentials = stack.entries.contains { !$0.plugin.consumes.isEmpty }
        let anonymous = stack.entries.contains(where: \.anonymous)
        if !consumesCredentials, !anonymous {
            warnings.append("""
                stack.\(configuration.name): no entry reads a credential and none is marked anonymous = true, so no \
                request can establish a principal and every request is denied (unless a plugin sets a principal without \
                reading Authorization); add a credential plugin, or anonymous = true on the entry whose allow may stand alone
                """)
        }
        return warnings
    }
}
