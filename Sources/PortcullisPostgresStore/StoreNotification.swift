import Portcullis

/// The payload of a `NOTIFY portcullis_store`: one line of text, the operation first and the key
/// last (so a key may hold spaces), small enough for PostgreSQL's 8000-byte payload limit:
///
///     flag-set <expiry, ms since the epoch> <key>
///     flag-removed <key>
///     counter-removed <key>
///
/// Written by the statements themselves (`pg_notify` in the same statement as the change, so a
/// notification is sent exactly when the change commits) and read here into a `StoreChange`.
enum StoreNotification {
    static let channel = "portcullis_store"

    /// The change a payload describes; nil for a payload this version does not know (another
    /// version of the daemon in the fleet), which is ignored.
    static func change(from payload: String) -> StoreChange? {
        guard let space = payload.firstIndex(of: " ") else { return nil }
        let operation = payload[..<space]
        let rest = String(payload[payload.index(after: space)...])
        switch operation {
        case "flag-set":
            guard let second = rest.firstIndex(of: " "), let milliseconds = Int64(rest[..<second]) else { return nil }
            let key = String(rest[rest.index(after: second)...])
            return .flagSet(StoreFlag(key: key, expiry: WallTime(milliseconds: milliseconds)))
        case "flag-removed":
            return .flagRemoved(key: rest)
        case "counter-removed":
            return .counterRemoved(key: rest)
        default:
            return nil
        }
    }
}
