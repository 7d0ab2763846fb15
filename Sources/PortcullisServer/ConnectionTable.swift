import NIOCore
import Synchronization

/// The daemon's open connections, capped at `limit` (below the descriptor limit, so accepting
/// never runs the process out of descriptors). At the cap, a new connection takes the place of
/// the connection that has waited longest for a request head: slow or half-open connections
/// cannot lock fast clients out. When every connection is busy with a request, the new one is
/// closed at once.
///
/// Every operation is O(1) amortised: waiting connections are queued in the order they started
/// waiting, and entries that went stale (the connection closed or got busy since) are skipped
/// when met and dropped when the queue is compacted.
final class ConnectionTable: Sendable {
    let limit: Int
    private let state = Mutex(State())
    /// Told of each connection closed to keep the cap (the daemon's metrics).
    private let onShed: (@Sendable (Shed) -> Void)?

    enum Shed: String {
        /// The connection that had waited longest for a head, closed to make room.
        case evicted
        /// A new connection, closed at once: every open one was busy.
        case refused
    }

    private struct State {
        var nextTicket: UInt64 = 0
        var nextWait: UInt64 = 0
        /// Every admitted connection, by ticket.
        var open: [UInt64: Entry] = [:]
        /// (ticket, wait) in the order the waits began; valid while the entry's `wait` is the same.
        var waiting: [(ticket: UInt64, wait: UInt64)] = []
        var waitingStart = 0

        func isValid(_ item: (ticket: UInt64, wait: UInt64)) -> Bool { open[item.ticket]?.wait == item.wait }

        mutating func startWaiting(_ ticket: UInt64) {
            open[ticket]?.wait = nextWait
            waiting.append((ticket, nextWait))
            nextWait += 1
            // Compact when the consumed prefix or the stale entries outweigh the live ones.
            let pending = waiting.count - waitingStart
            if waitingStart > pending || pending > 2 * open.count + 64 {
                waiting = waiting[waitingStart...].filter(isValid)
                waitingStart = 0
            }
        }

        /// Removes and returns the connection that has waited longest for a head, if any.
        mutating func takeLongestWaiting() -> (any Channel)? {
            while waitingStart < waiting.count {
                let item = waiting[waitingStart]
                waitingStart += 1
                if isValid(item) { return open.removeValue(forKey: item.ticket)?.channel }
            }
            waiting = []
            waitingStart = 0
            return nil
        }
    }

    private struct Entry {
        var channel: any Channel
        /// The current wait for a request head; nil while a request is being handled.
        var wait: UInt64?
    }

    init(limit: Int, onShed: (@Sendable (Shed) -> Void)? = nil) {
        self.limit = max(1, limit)
        self.onShed = onShed
    }

    /// Admits `channel`, returning its ticket, or nil if it must be closed now. A connection that
    /// makes room is closed here.
    func admit(_ channel: any Channel) -> UInt64? {
        let (ticket, evicted): (UInt64?, (any Channel)?) = state.withLock { state in
            var evicted: (any Channel)? = nil
            if state.open.count >= limit {
                guard let longest = state.takeLongestWaiting() else { return (nil, nil) }
                evicted = longest
            }
            let ticket = state.nextTicket
            state.nextTicket += 1
            state.open[ticket] = Entry(channel: channel, wait: nil)
            state.startWaiting(ticket)
            return (ticket, evicted)
        }
        if let evicted {
            evicted.close(promise: nil)
            onShed?(.evicted)
        }
        if ticket == nil { onShed?(.refused) }
        return ticket
    }

    /// The connection's request head arrived (false) or its last response went out (true).
    func setWaitingForHead(_ ticket: UInt64, _ waiting: Bool) {
        state.withLock { state in
            guard state.open[ticket] != nil else { return }
            if waiting {
                state.startWaiting(ticket)
            } else {
                state.open[ticket]?.wait = nil
            }
        }
    }

    func remove(_ ticket: UInt64) {
        state.withLock { state in _ = state.open.removeValue(forKey: ticket) }
    }

    var count: Int { state.withLock { $0.open.count } }

    /// Entries in the waiting queue, stale ones included (for tests of its bound).
    var queuedWaits: Int { state.withLock { $0.waiting.count - $0.waitingStart } }
}
