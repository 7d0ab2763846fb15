import PortcullisProtocol

/// Minimal JSON writing for the few fixed shapes we emit (problem bodies, `check --json`).
/// Hand-written so the hot deny path needs no encoder and key order stays stable.
public enum JSONText {
    /// A JSON string literal (``JSONString``, shared with the plugins).
    public static func string(_ text: String) -> String {
        JSONString.quoted(text)
    }

    public static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    public static func array(_ items: [String]) -> String {
        "[" + items.joined(separator: ",") + "]"
    }

    public static func optional(_ text: String?) -> String {
        text.map(string) ?? "null"
    }
}
