/// Runs reloads one after another, in the order they were asked for. SIGHUP and the config
/// watch may ask at the same moment; two loads running side by side could finish out of order
/// and swap an older file's configuration in over a newer one.
actor SerialReloads {
    private var last: Task<Bool, Never>?

    /// Runs `reload` once every reload asked for before it has finished; returns its result.
    func run(_ reload: @escaping @Sendable () async -> Bool) async -> Bool {
        let previous = last
        // Set before any suspension: the next caller queues behind this one.
        let next = Task {
            _ = await previous?.value
            return await reload()
        }
        last = next
        return await next.value
    }
}
