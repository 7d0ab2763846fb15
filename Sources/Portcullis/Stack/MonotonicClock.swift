#if canImport(Glibc)
import Glibc
#endif

/// How long one entry took, for the trace: `CLOCK_MONOTONIC` read as nanoseconds.
///
/// Not `ContinuousClock`: its `Instant` subtraction and the `Duration` to seconds conversion
/// (128-bit arithmetic) cost about 380 instructions per stack entry, a sixth of the host's whole
/// per-entry cost (callgrind on bench-host, issue 16); this is two vDSO reads and a division.
enum MonotonicClock {
    static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// Microseconds from `start` (a ``nanoseconds()`` reading) to now.
    static func micros(since start: UInt64) -> Double {
        Double(nanoseconds() &- start) / 1000
    }
}
