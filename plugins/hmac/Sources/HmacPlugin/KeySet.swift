import Crypto
public import PortcullisPluginKit

/// The verifier's keys: a JSON Web Key Set (RFC 7517 §5) of symmetric (`"kty": "oct"`) keys.
///
/// ```json
/// {"keys": [{"kty": "oct", "kid": "2026-11", "alg": "HS256", "k": "<base64url, no padding>"}]}
/// ```
/// Every key must carry a unique `kid` and an `alg` of HS256, HS384 or HS512, and be at least
/// as long as that algorithm's output (RFC 8725 §3.5). `use`, when present, must be `sig`.
/// Other members are ignored (RFC 7517 §4).
public struct KeySet: Sendable {
    public let keys: [HmacKey]
    private let byKid: [String: HmacKey]

    /// Why a key set was refused. Messages name the file and the key, never key material.
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(keys: [HmacKey]) throws(Error) {
        guard !keys.isEmpty else { throw Error(description: "the key set has no keys") }
        var byKid: [String: HmacKey] = [:]
        for key in keys {
            guard byKid.updateValue(key, forKey: key.kid) == nil else {
                throw Error(description: "kid \"\(key.kid)\" appears twice")
            }
            guard key.secret.bitCount / 8 >= key.algorithm.outputSize else {
                throw Error(description: "kid \"\(key.kid)\": a \(key.algorithm.rawValue) key needs at least \(key.algorithm.outputSize) bytes")
            }
        }
        self.keys = keys
        self.byKid = byKid
    }

    /// The key for a token: by `kid`; without one only when the set holds exactly one key
    /// (never a "default" key when a `kid` is unknown — that is how rotation gets bypassed).
    public func key(for kid: String?) -> HmacKey? {
        guard let kid else { return keys.count == 1 ? keys[0] : nil }
        return byKid[kid]
    }

    /// Parses a JWKS document. `file` names the source in errors.
    public init(json bytes: [UInt8], file: String) throws(Error) {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes)
        } catch {
            let (line, column) = Self.position(of: error.offset, in: bytes)
            throw Error(description: "\(file):\(line):\(column): \(error.message)")
        }
        guard let members = document.objectValue, let entries = members["keys"]?.arrayValue else {
            throw Error(description: "\(file): a JSON Web Key Set is an object with a \"keys\" array")
        }
        var keys: [HmacKey] = []
        for (index, entry) in entries.enumerated() {
            let name = "\(file): key \(index + 1)"
            guard let key = entry.objectValue else { throw Error(description: "\(name): not a JSON object") }
            guard key["kty"]?.stringValue == "oct" else {
                throw Error(description: "\(name): kty must be \"oct\" (a symmetric key)")
            }
            guard let kid = key["kid"]?.stringValue, !kid.isEmpty else {
                throw Error(description: "\(name): every key needs a kid (a non-empty string)")
            }
            guard let algName = key["alg"]?.stringValue, let alg = HmacAlgorithm(rawValue: algName) else {
                throw Error(description: "\(name) (kid \"\(kid)\"): alg must be HS256, HS384 or HS512")
            }
            if let use = key["use"], use.stringValue != "sig" {
                throw Error(description: "\(name) (kid \"\(kid)\"): use must be \"sig\"")
            }
            guard let k = key["k"]?.stringValue,
                let secret = Base64.decode(Array(k.utf8), alphabet: .url, padding: .forbidden), !secret.isEmpty
            else {
                throw Error(description: "\(name) (kid \"\(kid)\"): k must be base64url without padding")
            }
            guard secret.count >= alg.outputSize else {
                throw Error(description: "\(name) (kid \"\(kid)\"): the key has \(secret.count) bytes; \(alg.rawValue) needs at least \(alg.outputSize) (RFC 8725 §3.5)")
            }
            keys.append(HmacKey(kid: kid, algorithm: alg, secret: SymmetricKey(data: secret)))
        }
        do {
            try self.init(keys: keys)
        } catch {
            throw Error(description: "\(file): \(error.description)")
        }
    }

    /// Parses a snapshot of a key file (as `WatchedFile` reads it).
    public init(contentsOf snapshot: FileSnapshot) throws(Error) {
        try self.init(json: snapshot.bytes, file: snapshot.path)
    }

    /// Reads and parses the key set at `path`.
    public init(contentsOf path: String) throws(Error) {
        let snapshot: FileSnapshot
        do {
            snapshot = try FileSnapshot.read(path)
        } catch {
            throw Error(description: error.description)
        }
        try self.init(contentsOf: snapshot)
    }

    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in bytes.prefix(offset) {
            if byte == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
