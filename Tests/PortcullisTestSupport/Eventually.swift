import Foundation

extension TestSupport {
    /// Polls `condition` every few milliseconds until it holds (true) or `timeout` seconds pass
    /// (false): for changes that take effect in the background, such as a file reload.
    public static func eventually(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if try condition() { return true }
            if Date() > deadline { return false }
            usleep(2_000)
        }
    }
}
