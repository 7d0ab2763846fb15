internal import CPortcullisPlugin
internal import PortcullisProtocol

extension PluginLibrary {
    /// One argument a plugin accepts, as its descriptor describes it (ABI 1.1 `pc_option`): what
    /// `portcullis plugins --options` shows. Only a description: the plugin's `create` checks
    /// the arguments itself.
    public struct Option: Sendable, Equatable {
        /// The key in a stack entry, e.g. `file`.
        public let name: String
        /// The shape of the value, for people: `string`, `bool`, `integer 0...3600`, `list`.
        public let kind: String
        public let isRequired: Bool
        public let help: String

        public init(name: String, kind: String, isRequired: Bool, help: String) {
            self.name = name
            self.kind = kind
            self.isRequired = isRequired
            self.help = help
        }

        init(_ raw: pc_option) {
            self.init(
                name: CArena.string(raw.name), kind: CArena.string(raw.kind),
                isRequired: raw.flags & PC_OPTION_REQUIRED != 0, help: CArena.string(raw.help))
        }
    }
}
