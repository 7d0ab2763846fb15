import HTTPTypes
import PortcullisTestSupport

/// Helpers only the daemon and middleware tests need; the shared ones are in PortcullisTestSupport.
extension TestSupport {
    /// Request header fields for the Hummingbird test client.
    static func fields(_ pairs: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return fields
    }
}
