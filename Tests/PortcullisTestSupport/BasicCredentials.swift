import Foundation

extension String {
    /// An `Authorization` value with `Basic` credentials for a user and password (RFC 7617).
    public static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
