import Synchronization

/// The gatekeeper in service, swapped whole on reload. A request takes `current` once and
/// decides with it to the end, so in-flight requests finish on the gatekeeper they started
/// with; the old one (its plugin instances and cache) goes away when the last of them does.
public final class ReloadableGatekeeper: Sendable {
    private let slot: Mutex<Gatekeeper>

    public init(_ gatekeeper: Gatekeeper) {
        slot = Mutex(gatekeeper)
    }

    public var current: Gatekeeper { slot.withLock { $0 } }

    /// Puts `gatekeeper` in service; returns the one it replaces.
    @discardableResult
    public func replace(with gatekeeper: Gatekeeper) -> Gatekeeper {
        slot.withLock { old in
            let previous = old
            old = gatekeeper
            return previous
        }
    }
}
