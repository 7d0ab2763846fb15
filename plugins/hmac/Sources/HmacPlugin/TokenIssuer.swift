public import Crypto
import PortcullisPluginKit

/// Mints JWS compact tokens; used by `portcullis-token issue` and by tests.
public enum TokenIssuer {
    /// A token for `claims` under `key`, with the header `{"alg":…,"kid":…,"typ":"JWT"}`.
    public static func issue(claims: [String: JSONValue], key: HmacKey) -> String {
        let header: [String: JSONValue] = [
            "alg": .string(key.algorithm.rawValue), "kid": .string(key.kid), "typ": .string("JWT"),
        ]
        return sign(header: JSONValue.object(JSONObject(header)).serialized, claims: JSONValue.object(JSONObject(claims)).serialized,
                    algorithm: key.algorithm, secret: key.secret)
    }

    /// Signs arbitrary header and claims text as given (tests use it to build hostile tokens).
    public static func sign(header: String, claims: String, algorithm: HmacAlgorithm, secret: SymmetricKey) -> String {
        var signingInput = encode(Array(header.utf8)) + "." + encode(Array(claims.utf8))
        let mac = signingInput.withUTF8 { algorithm.authenticationCode(for: UnsafeRawBufferPointer($0), using: secret) }
        return signingInput + "." + encode(mac)
    }

    /// base64url without padding (RFC 7515 §2).
    public static func encode(_ bytes: [UInt8]) -> String {
        Base64.encode(bytes, alphabet: .url, padding: .forbidden)
    }
}
