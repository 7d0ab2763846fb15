/// What a list entry says about the addresses it covers.
///
/// The raw values order the actions so that, for one prefix listed both ways, the larger
/// one (deny) wins: a mistake in the lists fails closed.
public enum ListAction: UInt8, Sendable, Comparable {
    case allow = 1
    case deny = 2

    public static func < (lhs: ListAction, rhs: ListAction) -> Bool { lhs.rawValue < rhs.rawValue }
}
