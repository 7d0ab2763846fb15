import Foundation
import Logging
import Portcullis
import PortcullisPluginKit
import PortcullisTestSupport
import Synchronization
import XCTest

/// The real `libportcullis-iplist.so` through the real host: loader, dispatcher, client-address
/// resolver and HTTP mapping.
final class IplistLoaderTests: XCTestCase {
    private func gatekeeper(_ toml: String, logger: Logger = Logger(label: "iplist-test")) throws -> Gatekeeper {
        try Gatekeeper(configuration: Configuration(parsing: toml, file: "test.toml"), logger: logger)
    }

    private func request(_ peer: String?, _ headers: [(String, String)] = []) -> AuthRequest {
        AuthRequest(headers: headers, peer: peer.flatMap { IPAddress($0) })
    }

    /// An office network gets in without credentials (`anonymous = true` says its allow may stand
    /// alone); everyone else must authenticate (the debug plugin stands in for a credential plugin
    /// that refuses).
    private let officeBypass = """
        [[stack.default]]
        plugin = "iplist"
        control = "sufficient"
        anonymous = true
        allow = ["192.0.2.0/24", "2001:db8:1::/48"]

        [[stack.default]]
        plugin = "debug"
        control = "required"
        result = "deny"
        reason = "invalid_credentials"
        challenge = 'Basic realm="api", charset="UTF-8"'
        """

    func testLoadsAsAnInlineNonCacheablePlugin() throws {
        let gatekeeper = try gatekeeper(officeBypass)
        let library = try XCTUnwrap(gatekeeper.plugins.first)
        XCTAssertEqual(library.name, "iplist")
        XCTAssertTrue(library.path.hasSuffix("/libportcullis-iplist.so"))
        XCTAssertFalse(library.isBlocking)
        XCTAssertFalse(library.isCacheable)
        XCTAssertTrue(library.consumes.isEmpty)
    }

    func testSufficientIplistLetsTheOfficeInWithoutCredentials() throws {
        let gatekeeper = try gatekeeper(officeBypass)
        for office in ["192.0.2.44", "::ffff:192.0.2.44", "2001:db8:1::9"] {
            let outcome = gatekeeper.evaluate(request(office))
            XCTAssertEqual(outcome.decision, .allow, office)
            XCTAssertEqual(outcome.status, 200)
            XCTAssertEqual(outcome.trace.count, 1, "sufficient: the stack stops at the allow")
            XCTAssertEqual(outcome.trace.first?.detail, "client address on the allow list")
        }
    }

    func testEveryoneElseMustAuthenticate() throws {
        let outcome = try gatekeeper(officeBypass).evaluate(request("198.51.100.7"))
        XCTAssertEqual(outcome.decision, .deny)
        // The iplist deny is ignored under `sufficient`; the credential entry's 401 decides.
        XCTAssertEqual(outcome.reason, .invalidCredentials)
        XCTAssertEqual(outcome.status, 401)
        XCTAssertEqual(outcome.challenges, [#"Basic realm="api", charset="UTF-8""#])
        XCTAssertEqual(outcome.trace.map(\.verdict), ["deny", "deny"])
        XCTAssertEqual(outcome.trace.first?.reason, "ip_not_allowed")
    }

    func testOutsidersWithGoodCredentialsGetIn() throws {
        let gatekeeper = try gatekeeper("""
            [[stack.default]]
            plugin = "iplist"
            control = "sufficient"
            allow = ["192.0.2.0/24"]

            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "$user"
            """)
        let basic = "Basic " + Data("alice:secret".utf8).base64EncodedString()
        let outcome = gatekeeper.evaluate(request("198.51.100.7", [("Authorization", basic)]))
        XCTAssertEqual(outcome.decision, .allow)
        XCTAssertEqual(outcome.principal, "alice")
    }

    func testRequisiteIplistGatesTheRestOfTheStack() throws {
        let gatekeeper = try gatekeeper("""
            [[stack.default]]
            plugin = "iplist"
            control = "requisite"
            deny = ["203.0.113.0/24", "2001:db8:bad::/48"]

            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "bob"
            """)
        for blocked in ["203.0.113.5", "::ffff:203.0.113.5", "2001:db8:bad::1"] {
            let outcome = gatekeeper.evaluate(request(blocked))
            XCTAssertEqual(outcome.decision, .deny, blocked)
            XCTAssertEqual(outcome.reason, .ipNotAllowed)
            XCTAssertEqual(outcome.status, 403)
            XCTAssertEqual(outcome.challenges, [])
            XCTAssertEqual(outcome.trace.count, 1, "requisite: nothing after the deny runs")
        }
        let outcome = gatekeeper.evaluate(request("198.51.100.7"))
        XCTAssertEqual(outcome.decision, .allow)
        XCTAssertEqual(outcome.principal, "bob", "iplist's empty principal leaves the name to the credential plugin")
        XCTAssertEqual(outcome.trace.count, 2)
    }

    /// An allow list that a template rendered empty must allow no one, through the real
    /// configuration reader and the real plugin: an anonymous `sufficient` entry used to let
    /// everyone in.
    func testAnEmptyAllowListAllowsNoOne() throws {
        let gatekeeper = try gatekeeper("""
            [[stack.default]]
            plugin = "iplist"
            control = "sufficient"
            anonymous = true
            allow = []
            """)
        let outcome = gatekeeper.evaluate(request("198.51.100.7"))
        XCTAssertEqual(outcome.decision, .deny)
        XCTAssertEqual(outcome.reason, .ipNotAllowed)
        XCTAssertEqual(outcome.trace.first?.detail, "client address on no list (default deny)")
        XCTAssertEqual(gatekeeper.warnings.count, 1, "\(gatekeeper.warnings)")
        XCTAssertTrue(gatekeeper.warnings.first?.hasPrefix("stack.default[0].allow (iplist): an empty list") ?? false, "\(gatekeeper.warnings)")
    }

    func testNoClientAddressIsDenied() throws {
        let gatekeeper = try gatekeeper("""
            [proxy]
            trusted = ["10.0.0.1"]

            [[stack.default]]
            plugin = "iplist"
            control = "required"
            anonymous = true
            default = "allow"
            """)
        for outcome in [
            gatekeeper.evaluate(request(nil)),
            // A trusted proxy with a chain the host cannot use: the host fails closed, so do we.
            gatekeeper.evaluate(request("10.0.0.1", [("X-Forwarded-For", "not-an-address")])),
        ] {
            XCTAssertNil(outcome.client)
            XCTAssertEqual(outcome.decision, .deny)
            XCTAssertEqual(outcome.reason, .ipNotAllowed)
            XCTAssertEqual(outcome.status, 403)
            XCTAssertTrue(outcome.trace.first?.detail?.contains("no client address") ?? false, "\(outcome.trace)")
        }
        XCTAssertEqual(gatekeeper.evaluate(request("10.9.9.9")).decision, .allow)
    }

    /// The list judges the address the host resolved: a forged X-Forwarded-For from an
    /// untrusted peer is ignored; from a trusted proxy the header is used, right to left.
    func testForwardedForCountsOnlyFromTrustedProxies() throws {
        let gatekeeper = try gatekeeper("""
            [proxy]
            trusted = ["10.0.0.1", "fd00::/8"]
            header = "X-Forwarded-For"

            [[stack.default]]
            plugin = "iplist"
            control = "required"
            anonymous = true
            allow = ["192.0.2.0/24"]
            """)
        let spoofed = gatekeeper.evaluate(request("198.51.100.7", [("X-Forwarded-For", "192.0.2.10")]))
        XCTAssertEqual(spoofed.client, IPAddress("198.51.100.7"))
        XCTAssertEqual(spoofed.decision, .deny)
        XCTAssertEqual(spoofed.reason, .ipNotAllowed)

        let proxied = gatekeeper.evaluate(request("10.0.0.1", [("X-Forwarded-For", "192.0.2.10")]))
        XCTAssertEqual(proxied.client, IPAddress("192.0.2.10"))
        XCTAssertEqual(proxied.decision, .allow)

        let twoProxies = gatekeeper.evaluate(request("fd00::1", [("X-Forwarded-For", "192.0.2.10, 10.0.0.1")]))
        XCTAssertEqual(twoProxies.client, IPAddress("192.0.2.10"))
        XCTAssertEqual(twoProxies.decision, .allow)

        // The client forged the left part; the trusted proxy appended the real address.
        let forgedThroughProxy = gatekeeper.evaluate(request("10.0.0.1", [("X-Forwarded-For", "192.0.2.10, 198.51.100.7")]))
        XCTAssertEqual(forgedThroughProxy.client, IPAddress("198.51.100.7"))
        XCTAssertEqual(forgedThroughProxy.decision, .deny)
    }

    func testBadEntryFailsTheConfigurationWithItsLine() throws {
        XCTAssertThrowsError(try gatekeeper("""
            [[stack.default]]
            plugin = "iplist"
            control = "required"
            allow = ["10.0.0.0/8", "10.0.0.1/8"]
            """)) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains("test.toml"), message)
            XCTAssertTrue(message.contains("argument 'allow':2: '10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)"), message)
        }
        XCTAssertThrowsError(try gatekeeper("""
            [[stack.default]]
            plugin = "iplist"
            control = "required"
            allow_list = ["10.0.0.0/8"]
            """)) { error in
            XCTAssertTrue(String(describing: error).contains("unknown argument 'allow_list'"), String(describing: error))
        }
    }

    func testListFileIsReloadedAndABadVersionIsLoggedAndIgnored() throws {
        let file = try TemporaryFile(name: "deny.txt", contents: "# blocked\n198.51.100.0/24\n")
        let log = CapturedLog()
        let gatekeeper = try gatekeeper("""
            [[stack.default]]
            plugin = "iplist"
            control = "required"
            anonymous = true
            deny_file = "\(file.path)"
            reload_interval = 1
            """, logger: log.logger)
        XCTAssertEqual(gatekeeper.evaluate(request("198.51.100.7")).decision, .deny)
        XCTAssertEqual(gatekeeper.evaluate(request("203.0.113.7")).decision, .allow)

        try file.replace(with: "# blocked\n203.0.113.0/24\n")
        XCTAssertTrue(wait { gatekeeper.evaluate(self.request("203.0.113.7")).decision == .deny }, "the new list never took effect")
        XCTAssertEqual(gatekeeper.evaluate(request("198.51.100.7")).decision, .allow)

        try file.replace(with: "# blocked\n203.0.113.0/24\n198.51.100.1/24\n")
        XCTAssertTrue(wait { log.entries.contains { $0.level == .error && $0.message.contains("\(file.path):3:") } }, "no error logged: \(log.lines)")
        let line = try XCTUnwrap(log.lines.first { $0.contains("\(file.path):3:") })
        XCTAssertTrue(line.contains("'198.51.100.1/24' has host bits set (did you mean 198.51.100.0/24?)"), line)
        XCTAssertTrue(line.contains("keeping the previous lists"), line)
        XCTAssertEqual(gatekeeper.evaluate(request("203.0.113.7")).decision, .deny, "the previous lists stay in force")
        XCTAssertEqual(gatekeeper.evaluate(request("198.51.100.7")).decision, .allow)
    }

    /// `check` runs on many threads at once on one instance, while the list is being swapped.
    func testConcurrentChecksDuringReloads() throws {
        let file = try TemporaryFile(name: "deny.txt", contents: "198.51.100.0/24\n")
        let gatekeeper = try gatekeeper("""
            [[stack.default]]
            plugin = "iplist"
            control = "required"
            anonymous = true
            allow = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]
            deny_file = "\(file.path)"
            reload_interval = 1
            """)
        let swapper = Thread {
            for round in 0..<6 {
                try? file.replace(with: round % 2 == 0 ? "198.51.100.0/24\n203.0.113.0/24\n" : "198.51.100.0/24\n")
                usleep(400_000)
            }
        }
        swapper.start()
        let wrong = Mutex(0)
        let seen = Mutex(Set<String>())
        repeat {
            DispatchQueue.concurrentPerform(iterations: 2000) { index in
                let octet = index % 256
                // Stable whatever version is in force: the office is allowed, the /24 denied
                // in both versions beats its allow, unlisted addresses are denied by default.
                let stable: [(String, Outcome.Decision)] = [("192.0.2.\(octet)", .allow), ("198.51.100.\(octet)", .deny), ("10.\(octet).0.1", .deny)]
                let (address, expected) = stable[index % 3]
                if gatekeeper.evaluate(AuthRequest(peer: IPAddress(address))).decision != expected { wrong.withLock { $0 += 1 } }
                // Flips with the file: shows the reloads really happened under load.
                let flipping = gatekeeper.evaluate(AuthRequest(peer: IPAddress("203.0.113.\(octet)"))).decision
                seen.withLock { _ = $0.insert(flipping.rawValue) }
            }
        } while !swapper.isFinished
        XCTAssertEqual(wrong.withLock { $0 }, 0)
        XCTAssertEqual(seen.withLock { $0 }, ["allow", "deny"], "no reload happened while checking")
    }

    private func wait(seconds: Double = 15, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }
}
