import Crypto
import Foundation
import HmacPlugin
import PortcullisPluginKit
import Synchronization
import XCTest

/// A random key of `bytes` bytes.
func randomKey(kid: String, _ algorithm: HmacAlgorithm = .hs256, bytes: Int? = nil) -> HmacKey {
    let secret = SymmetricKey(data: (0..<(bytes ?? algorithm.outputSize)).map { _ in UInt8.random(in: 0...255) })
    return HmacKey(kid: kid, algorithm: algorithm, secret: secret)
}

/// The JWKS text for `keys`.
func jwks(_ keys: [HmacKey]) -> String {
    let entries = keys.map { key -> JSONValue in
        .object([
            "kty": .string("oct"), "kid": .string(key.kid), "alg": .string(key.algorithm.rawValue),
            "k": .string(TokenIssuer.encode(key.secret.withUnsafeBytes { Array($0) })),
        ])
    }
    return JSONValue.object(["keys": .array(entries)]).serialized
}

/// Finds a system tool on PATH.
func systemTool(_ name: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// A log that records lines, to check what the plugin says (and that it never says a secret).
final class LogRecorder: Sendable {
    private let lines = Mutex<[(level: PluginHost.LogLevel, message: String)]>([])
    var entries: [(level: PluginHost.LogLevel, message: String)] { lines.withLock { $0 } }
    var all: [String] { entries.map(\.message) }
    func record(_ level: PluginHost.LogLevel, _ line: String) { lines.withLock { $0.append((level, line)) } }
}

