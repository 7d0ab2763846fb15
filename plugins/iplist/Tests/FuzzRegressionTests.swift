import PortcullisPluginKit
import XCTest

@testable import IplistPlugin

/// List lines the fuzzer (Tests/Fuzz/Targets/iplist.swift) found, kept so they stay refused.
final class IplistFuzzRegressionTests: XCTestCase {
    /// The fast path copied the line into a C string for inet_pton, which stopped at a NUL: `::\0\0`
    /// was read as `::` (and `10.0.0.1\0junk` as 10.0.0.1) instead of being refused with its line.
    func testALineWithANULIsRefused() {
        for line in ["::\u{0}\u{0}", "10.0.0.1\u{0}junk", "10.0.0.0\u{0}/8", "2001:db8::\u{0}/32"] {
            var builder = IPList.Builder()
            XCTAssertThrowsError(try ListParser.parse(Array("192.0.2.1\n\(line)\n".utf8), source: "allow.txt", action: .allow, into: &builder)) { error in
                XCTAssertEqual((error as? ListError)?.line, 2, line.debugDescription)
            }
            XCTAssertNil(fastPrefix(Array(line.utf8)[...]), line.debugDescription)
        }
    }
}
