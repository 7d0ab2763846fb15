import Foundation
import Logging
import Portcullis
import PortcullisNetwork
import PortcullisProtocol

/// What the admin socket answers: `portcullis lockout list` and `reset`, on the faillock plugin's
/// keys in the shared store. One JSON object per line each way:
///
///     {"command":"list"}
///     {"command":"reset","user":"alice","address":"192.0.2.10"}   user, address or both
///
/// answered `{"ok":true,"entries":[{"user":…,"address":…,"count":…,"locked_seconds":…}],"backend":true}`
/// (`removed` instead of `entries` for a reset), or `{"ok":false,"error":"…"}`. `backend` false: the
/// shared backend did not answer, so the list is this daemon's and a reset reached only it.
/// `revoke` and `revocations` are ``RevocationAdmin``'s.
struct LockoutAdmin: Sendable {
    static let namespace = "faillock"
    let store: SharedStore
    let logger: Logger

    func answer(_ line: [UInt8]) async -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)), let request = object as? [String: Any],
              let command = request["command"] as? String
        else { return Self.failure("expected one JSON object with a \"command\"") }
        switch command {
        case "list":
            let (entries, answered) = await store.entries(namespace: Self.namespace)
            return ["ok": true, "entries": entries.compactMap(Self.describe), "backend": answered]
        case "reset":
            return await reset(user: request["user"] as? String, address: request["address"] as? String)
        case "revoke":
            return await RevocationAdmin(store: store, logger: logger).revoke(request)
        case "revocations":
            return await RevocationAdmin(store: store, logger: logger).list()
        default:
            return Self.failure("unknown command '\(command)' (expected list, reset, revoke or revocations)")
        }
    }

    /// The pair's key and the address's; with only a user, every pair of that user-id; with only
    /// an address, the address and every pair from it.
    private func reset(user: String?, address: String?) async -> [String: Any] {
        var addressText: String? = nil
        if let address {
            guard let parsed = IPAddress(address) else { return Self.failure("'\(address)' is not an IP address") }
            addressText = LockoutKey.address(parsed)
        }
        guard user != nil || addressText != nil else { return Self.failure("reset needs a user, an address or both") }
        let (entries, _) = await store.entries(namespace: Self.namespace)
        var keys = Set<String>()
        if let user, let addressText { keys.insert(LockoutKey.forUser(Array(user.utf8), address: addressText)) }
        if user == nil, let addressText { keys.insert(LockoutKey.forAddress(addressText)) }
        if user != nil, let addressText { keys.insert(LockoutKey.forAddress(addressText)) }
        for entry in entries {
            guard let parsed = LockoutKey.parse(entry.key.key), let named = parsed.user else { continue }
            let userMatches = user.map { Array($0.utf8) == named } ?? true
            let addressMatches = addressText.map { $0 == parsed.address } ?? true
            if userMatches, addressMatches { keys.insert(entry.key.key) }
        }
        let known = Dictionary(entries.map { ($0.key.key, $0) }, uniquingKeysWith: { first, _ in first })
        let (removed, answered) = await store.reset(keys.sorted().map { StoreKey(namespace: Self.namespace, key: $0) })
        var described: [[String: Any]] = []
        for entry in removed {
            let count = max(entry.count, known[entry.key.key]?.count ?? 0)
            let locked = entry.flaggedFor > 0 || (known[entry.key.key]?.flaggedFor ?? 0) > 0
            guard count > 0 || locked else { continue }
            let parsed = LockoutKey.parse(entry.key.key)
            let userText = parsed?.user.map { String(decoding: $0, as: UTF8.self) }
            logger.notice("lockout reset by an operator", metadata: [
                "user": "\(LogText.escaped(userText ?? "-"))", "address": "\(LogText.escaped(parsed?.address ?? entry.key.key))",
                "count": "\(count)", "locked": "\(locked)", "backend": "\(answered)",
            ])
            var row: [String: Any] = ["address": parsed?.address ?? entry.key.key, "count": Int(count), "locked": locked]
            if let userText { row["user"] = userText }
            described.append(row)
        }
        return ["ok": true, "removed": described, "backend": answered]
    }

    private static func describe(_ entry: SharedStore.Entry) -> [String: Any]? {
        guard let parsed = LockoutKey.parse(entry.key.key) else { return nil }
        var row: [String: Any] = ["address": parsed.address, "count": Int(entry.count), "locked_seconds": Int((entry.flaggedFor + 999) / 1000)]
        if let user = parsed.user { row["user"] = String(decoding: user, as: UTF8.self) }
        return row
    }

    static func failure(_ message: String) -> [String: Any] { ["ok": false, "error": message] }
}
