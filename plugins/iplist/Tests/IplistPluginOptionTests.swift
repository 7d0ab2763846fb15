import PortcullisPluginKit
import XCTest

@testable import IplistPlugin

/// The plugin's arguments as a stack entry gives them (a TOML array arrives as repeated pairs).
final class IplistPluginOptionTests: XCTestCase {
    private func plugin(_ arguments: [(String, String)]) throws -> IplistPlugin {
        try IplistPlugin(options: PluginOptions(arguments.map { (name: $0.0, value: $0.1) }, table: IplistPlugin.options), host: .none)
    }

    private func message(_ arguments: [(String, String)]) -> String? {
        do {
            _ = try plugin(arguments)
            return nil
        } catch {
            return String(describing: error)
        }
    }

    func testDeclaration() {
        XCTAssertEqual(IplistPlugin.name, "iplist")
        XCTAssertEqual(IplistPlugin.flags, [], "neither blocking nor cacheable")
        XCTAssertEqual(IplistPlugin.consumes, [])
    }

    func testArraysArriveAsRepeatedArguments() throws {
        let plugin = try plugin([("allow", "10.0.0.0/8"), ("allow", "2001:db8::/32"), ("deny", "10.6.6.6")])
        let policy = plugin.lists.policy
        XCTAssertEqual(policy.defaultAction, .deny)
        XCTAssertEqual(policy.list.action(for: IPAddress("10.1.2.3")!), .allow)
        XCTAssertEqual(policy.list.action(for: IPAddress("2001:db8::1")!), .allow)
        XCTAssertEqual(policy.list.action(for: IPAddress("10.6.6.6")!), .deny)
    }

    func testDefaultArgument() throws {
        XCTAssertEqual(try plugin([("allow", "10.0.0.0/8"), ("default", "allow")]).lists.policy.defaultAction, .allow)
        XCTAssertEqual(try plugin([("default", "deny")]).lists.policy.defaultAction, .deny)
        XCTAssertEqual(try plugin([]).lists.policy.defaultAction, .allow)
        XCTAssertEqual(message([("default", "reject")]), "argument 'default': must be allow or deny, not 'reject'")
    }

    func testBadArgumentsAreErrors() {
        XCTAssertEqual(message([("allow", "10.0.0.0/8"), ("allow", "10.0.0.1/8")]),
                       "argument 'allow':2: '10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)")
        XCTAssertEqual(message([("deny", "example.com")]), "argument 'deny':1: 'example.com' is not an IP address or CIDR prefix")
        XCTAssertEqual(message([("allow", "")]), "argument 'allow':1: '' is not an IP address or CIDR prefix")
        XCTAssertEqual(message([("reload_interval", "-1")]), "argument 'reload_interval' must be an integer in 0...86400, not '-1'")
        XCTAssertTrue(message([("alow", "10.0.0.0/8")])?.hasPrefix("unknown argument 'alow'") ?? false)
        XCTAssertEqual(message([("default", "allow"), ("default", "deny")]), "argument 'default' given more than once")
    }

    /// `allow = []` arrives as one `allow[]` pair: an allow list given with no entries, which
    /// allows no one (it used to vanish, leaving the default allow).
    func testAnEmptyAllowListMakesTheDefaultDeny() throws {
        let policy = try plugin([("allow[]", "")]).lists.policy
        XCTAssertEqual(policy.defaultAction, .deny)
        XCTAssertEqual(policy.decide(IPAddress("198.51.100.7")), .deny(.ipNotAllowed, detail: "client address on no list (default deny)"))
        XCTAssertEqual(try plugin([("deny[]", "")]).lists.policy.defaultAction, .allow, "an empty deny list changes nothing")
        XCTAssertEqual(message([("default[]", "")]), "argument 'default' takes one value, not an empty list")
        XCTAssertEqual(message([("allow[]", "x")]), "argument 'allow[]' must have an empty value")
    }
}
