/// A `Duration` in the one unit a caller needs: a timer's nanoseconds, a log's microseconds,
/// the ABI's milliseconds. Whole units are truncated toward zero and saturate at the bounds of
/// `Int64` (about 292 years of nanoseconds) instead of trapping.
extension Duration {
    public var nanoseconds: Int64 { wholeUnits(per: 1) }
    public var microseconds: Int64 { wholeUnits(per: 1_000) }
    public var milliseconds: Int64 { wholeUnits(per: 1_000_000) }

    /// The duration in seconds, with its fraction.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Whole multiples of `nanoseconds` nanoseconds.
    private func wholeUnits(per nanoseconds: Int64) -> Int64 {
        let (seconds, attoseconds) = components
        let perSecond = 1_000_000_000 / nanoseconds
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: perSecond)
        guard !overflow else { return seconds < 0 ? .min : .max }
        // `attoseconds` has the sign of `seconds` (or is the whole duration when seconds is 0).
        let (sum, overflowSum) = whole.addingReportingOverflow(attoseconds / (nanoseconds * 1_000_000_000))
        guard !overflowSum else { return seconds < 0 ? .min : .max }
        return sum
    }
}
