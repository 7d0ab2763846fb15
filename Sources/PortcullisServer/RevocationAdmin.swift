import Logging
import Portcullis

/// The admin socket's `revoke` and `revocations` (`portcullis token revoke|revocations`): token
/// ids revoked fleet-wide, as flags `revoked/<jti>` of the hmac plugin in the shared store, which
/// every daemon on the backend learns through its change stream (hmac `revoked_store = true`).
///
///     {"command":"revoke","jti":"4f1c…","seconds":3600}
///     {"command":"revocations"}
///
/// answered `{"ok":true,"backend":true}` (`backend` false: only this daemon has it so far; it is
/// pushed when the backend is back) or `{"ok":true,"revocations":[{"jti":…,"seconds":…}],"backend":…}`.
/// The revocation expires after `seconds`: when the token would have expired anyway.
struct RevocationAdmin: Sendable {
    static let namespace = "hmac"
    static let keyPrefix = "revoked/"
    /// A year: a revocation outliving any sane token, and a bound on what the store keeps.
    static let maximumSeconds = 366 * 86_400
    let store: SharedStore
    let logger: Logger

    func revoke(_ request: [String: Any]) async -> [String: Any] {
        guard let jti = request["jti"] as? String, Self.isValid(jti) else {
            return LockoutAdmin.failure("revoke needs a jti: 1 to 1024 bytes, no white space or control characters")
        }
        guard let seconds = request["seconds"] as? Int, (1...Self.maximumSeconds).contains(seconds) else {
            return LockoutAdmin.failure("revoke needs seconds: 1 to \(Self.maximumSeconds) (until the token would expire anyway)")
        }
        let until = WallTime.now().adding(.seconds(seconds))
        let answered = await store.setFlag(StoreKey(namespace: Self.namespace, key: Self.keyPrefix + jti), until: until)
        logger.notice("token revoked by an operator", metadata: [
            "jti": "\(LogText.escaped(jti))", "seconds": "\(seconds)", "backend": "\(answered)",
        ])
        return ["ok": true, "backend": answered]
    }

    func list() async -> [String: Any] {
        let (entries, answered) = await store.entries(namespace: Self.namespace)
        let rows: [[String: Any]] = entries.compactMap { entry in
            guard entry.flaggedFor > 0, entry.key.key.hasPrefix(Self.keyPrefix) else { return nil }
            return ["jti": String(entry.key.key.dropFirst(Self.keyPrefix.count)), "seconds": Int((entry.flaggedFor + 999) / 1000)]
        }
        return ["ok": true, "revocations": rows, "backend": answered]
    }

    /// What a revocation list line may hold (hmac's `RevocationList`), and short enough for a
    /// NOTIFY payload.
    static func isValid(_ jti: String) -> Bool {
        (1...1024).contains(jti.utf8.count) && !jti.contains { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } == true }
    }
}
