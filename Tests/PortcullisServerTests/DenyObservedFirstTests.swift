import Portcullis
import PortcullisRuntime
import PortcullisTestSupport
import XCTest

/// A deny is observed before it is answered (`DecisionRuntime`, `.afterAnswer`): the real
/// faillock plugin has counted a failure by the time its 401 goes out, so a client that tries
/// again at once meets the lock. Answered first, the count ran on a task of its own and a fast
/// client could overtake it (the fleet test saw a right password let in after five failures).
final class DenyObservedFirstTests: XCTestCase {
    typealias S = TestSupport

    func testTheFailureThatReachesTheLimitLocksTheVeryNextRequest() async throws {
        let directory = try S.temporaryDirectory(self)
        var lines = ""
        for index in 0..<20 {
            let hash = try S.run(S.binDirectory + "/portcullis-hash", ["--user", "user\(index)", "--scheme", "bcrypt", "--cost", "4"],
                                 input: Array("right".utf8))
            XCTAssertEqual(hash.status, 0, hash.stderr)
            lines += String(hash.stdout.split(separator: "\n")[0]) + "\n"
        }
        try S.write(lines, to: directory + "/passwords")
        let gatekeeper = try S.gatekeeper("""
            [cache]
            enabled = false

            [[stack.default]]
            plugin = "faillock"
            control = "requisite"
            deny = 3

            [[stack.default]]
            plugin = "crypt"
            control = "required"
            file = "\(directory)/passwords"
            """)
        let runtime = DecisionRuntime(gatekeeper: gatekeeper)
        addTeardownBlock { await runtime.shutdown() }

        func decide(_ user: String, _ password: String, from address: String) async -> Outcome {
            let request = AuthRequest(method: "GET", path: "/", host: "app.example",
                                      headers: [("Authorization", "Basic " + Base64.encode(Array("\(user):\(password)".utf8), alphabet: .standard, padding: .required))],
                                      peer: IPAddress(address))
            return await runtime.decide(request, stack: "default").outcome
        }
        // One address per user: the address key (below its own limit) never decides here.
        for index in 0..<20 {
            let address = "192.0.2.\(index + 1)"
            for _ in 0..<3 {
                let denied = await decide("user\(index)", "wrong", from: address)
                XCTAssertEqual(denied.reason, .invalidCredentials)
            }
            let next = await decide("user\(index)", "right", from: address)
            XCTAssertEqual(next.reason, .lockedOut, "user\(index): the third failure was not counted before its answer")
        }
    }
}
