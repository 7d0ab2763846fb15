import Crypto
import PortcullisPluginKit

/// Apache's `{SHA}` hash: base64 of an unsalted SHA-1 (`htpasswd -s`).
///
/// Written here because libxcrypt has no such scheme; SHA-1 comes from swift-crypto. It is weak
/// (no salt, one fast hash) and supported only so existing files keep working.
enum ApacheSHA1 {
    static let prefix: [UInt8] = Array("{SHA}".utf8)

    static func hash(_ password: some Collection<UInt8>) -> [UInt8] {
        let digest = Insecure.SHA1.hash(data: Array(password))
        return prefix + Array(Base64.encode(Array(digest), alphabet: .standard, padding: .required).utf8)
    }
}
