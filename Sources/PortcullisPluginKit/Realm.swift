/// The realm of a `WWW-Authenticate` challenge (RFC 9110 §11.5), checked once when the stack
/// entry is created and written as a quoted-string.
///
/// One rule for every plugin: control characters are refused (they would end or split the
/// header), and so is an empty realm; `"` and `\` are escaped as RFC 9110 §5.6.4 says
/// (RFC 7617 and RFC 6750 make the realm a quoted-string), so `realm = "ops \"internal\""`
/// works as written. Non-ASCII text is kept as UTF-8 (Basic challenges say `charset="UTF-8"`).
public struct Realm: Sendable, Hashable, CustomStringConvertible {
    /// The realm as configured.
    public let text: String

    /// Checks `text`; `argument` names the option in the error (`argument 'realm' …`).
    public init(_ text: String, argument: String = "realm") throws(PluginConfigurationError) {
        guard !text.isEmpty else {
            throw PluginConfigurationError("argument '\(argument)' must not be empty")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw PluginConfigurationError("argument '\(argument)' must not contain control characters")
        }
        self.text = text
    }

    /// The `realm` argument of `options`, or `defaultText` when it is not given.
    public init(_ options: PluginOptions, default defaultText: String) throws(PluginConfigurationError) {
        try self.init(options.string("realm") ?? defaultText)
    }

    /// The realm as a quoted-string, quotes included: `"ops \"internal\""`.
    public var quoted: String { Challenge.quotedString(text) }

    public var description: String { text }
}
