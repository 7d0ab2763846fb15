import NIOCore
import Synchronization

/// The daemon's open connections, capped at `limit` (below the descriptor limit, so accepting
/// never runs the process out of descriptors). At the cap, a new connection takes the place of
/// the oldest one still waiting for its request head: slow or half-open connections cannot lock
/// fast clients out. When every connection is busy with a request, the new one is closed at once.
final class ConnectionTable: Sendable {
    let limit: Int
    private let state = Mutex(State())

    private struct State {
        var nextTicket: UInt64 = 0
        /// Every admitted connection, by ticket (admission order): whether it waits for a head.
        var open: [UInt64: Entry] = [:]
    }

    private struct Entry {
        var channel: any Channel
        var waitingForHead: Bool
    }

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Admits `channel`, returning its ticket, or nil if it must be closed now. A connection that
    /// makes room is closed here.
    func admit(_ channel: any Channel) -> UInt64? {
        let (ticket, evicted): (UInt64?, (any Channel)?) = state.withLock { state in
            var evicted: (any Channel)? = nil
            if state.open.count >= limit {
                guard let oldest = state.open.filter({ $0.value.waitingForHead }).keys.min() else { return (nil, nil) }
                evicted = state.open.removeValue(forKey: oldest)?.channel
            }
            let ticket = state.nextTicket
            state.nextTicket += 1
            state.open[ticket] = Entry(channel: channel, waitingForHead: true)
            return (ticket, evicted)
        }
        evicted?.close(promise: nil)
        return ticket
    }

    /// The connection's request head arrived (true) or its last response went out (false).
    func setWaitingForHead(_ ticket: UInt64, _ waiting: Bool) {
        state.withLock { $0.open[ticket]?.waitingForHead = waiting }
    }

    func remove(_ ticket: UInt64) {
        state.withLock { _ = $0.open.removeValue(forKey: ticket) }
    }

    var count: Int { state.withLock { $0.open.count } }
}
