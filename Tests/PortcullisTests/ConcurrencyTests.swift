import Foundation
import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// Many checks at once on one stack, through the real plugin: every answer right.
final class ConcurrencyTests: XCTestCase {
    func testManyParallelChecksOnOneStack() throws {
        let gatekeeper = try TestSupport.gatekeeper("""
            [proxy]
            trusted = ["10.0.0.0/8"]
            [[stack.default]]
            plugin = "debug"
            control = "requisite"
            result = "allow"
            echo = true
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "$user"
            """)
        let count = 20_000
        let failures = Atomic(0)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let user = "user\(index)"
            let request = AuthRequest(path: "/item/\(index)", headers: [("Authorization", .basic(user, "pw\(index)")), ("X-Forwarded-For", "198.51.\(index % 256).\(index / 256 % 256)")],
                                      peer: IPAddress("10.0.0.1"))
            let outcome = gatekeeper.evaluate(request)
            let attributes = Dictionary(outcome.attributes.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            if outcome.principal != user || attributes["path"] != "/item/\(index)" || attributes["client"] != "198.51.\(index % 256).\(index / 256 % 256)" {
                failures.add(1)
            }
        }
        XCTAssertEqual(failures.value, 0)
    }
}

/// A tiny lock-protected counter for tests.
final class Atomic: @unchecked Sendable {
    private let lock = NSLock()
    private var count: Int
    init(_ value: Int) { count = value }
    func add(_ amount: Int) { lock.lock(); count += amount; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
