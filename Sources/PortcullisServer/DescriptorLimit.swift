#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limit (RLIMIT_NOFILE), which bounds how many connections the daemon
/// may hold: every connection is a descriptor, and running out of them stops accepting and can
/// crash the process (libdispatch traps when it cannot get one).
enum DescriptorLimit {
    /// Descriptors kept back from connections: listeners, epoll and event descriptors, plugin
    /// files, logs.
    static func margin(below limit: Int) -> Int { min(128, limit / 2) }

    /// Raises the soft limit to the hard limit (a service gets a low soft limit by default) and
    /// returns the soft limit in force.
    @discardableResult
    static func raiseToHardLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        // An unlimited hard limit cannot be a soft one: the kernel caps descriptors at nr_open.
        let target = limit.rlim_max == rlim_t.max ? rlim_t(1 << 20) : limit.rlim_max
        if limit.rlim_cur < target {
            var raised = limit
            raised.rlim_cur = target
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// The soft limit in force.
    static func current() -> Int {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        return Int(clamping: limit.rlim_cur)
    }

    /// `[server] max_connections`, or a margin below `descriptors`; never more than that margin allows.
    static func connectionCap(configured: Int?, descriptors: Int) -> Int {
        let ceiling = max(1, descriptors - margin(below: descriptors))
        return min(configured ?? ceiling, ceiling)
    }

    private static var resource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
}
