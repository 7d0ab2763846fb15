public import PortcullisRuntime
public import Vapor
import Synchronization

/// Runs a ``DecisionRuntime`` for as long as a Vapor application: the shared store's background
/// sync from boot, and at shutdown the blocking pool stops (checks in flight finish first).
/// Vapor has no ServiceLifecycle group, so the runtime's `run()` goes on a task of its own, and
/// cancelling that task is its graceful shutdown.
public final class PortcullisLifecycle: LifecycleHandler {
    let runtime: DecisionRuntime
    private let running = Mutex<Task<Void, Never>?>(nil)

    public init(runtime: DecisionRuntime) {
        self.runtime = runtime
    }

    public func didBoot(_ application: Application) throws {
        let runtime = self.runtime
        running.withLock { task in
            guard task == nil else { return }
            task = Task { try? await runtime.run() }
        }
    }

    public func shutdownAsync(_ application: Application) async {
        guard let task = running.withLock({ $0 }) else {
            await runtime.shutdown()
            return
        }
        task.cancel()
        await task.value
    }

    /// The synchronous shutdown (`app.shutdown()`) cannot wait: it asks the runtime to stop.
    public func shutdown(_ application: Application) {
        running.withLock { $0 }?.cancel()
    }
}
