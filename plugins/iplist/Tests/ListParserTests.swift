import PortcullisPluginKit
import XCTest

@testable import IplistPlugin

/// List files: comments, blank lines, and errors that name the file and the line.
final class ListParserTests: XCTestCase {
    private func parse(_ text: String, action: ListAction = .deny) throws(ListError) -> IPList {
        var builder = IPList.Builder()
        try ListParser.parse(Array(text.utf8), source: "/etc/portcullis/deny.txt", action: action, into: &builder)
        return IPList(builder)
    }

    private func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> ListError? {
        do {
            _ = try parse(text)
            XCTFail("expected an error for \(text.debugDescription)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testCommentsBlankLinesAndWhitespace() throws {
        let list = try parse("""
            # office and VPN
            192.0.2.0/24   # office

            \t2001:db8::/32\r
               198.51.100.1
            #10.0.0.0/8
            """)
        XCTAssertEqual(list.entryCount, 3)
        XCTAssertEqual(list.action(for: IPAddress("192.0.2.77")!), .deny)
        XCTAssertEqual(list.action(for: IPAddress("2001:db8:1::")!), .deny)
        XCTAssertEqual(list.action(for: IPAddress("198.51.100.1")!), .deny)
        XCTAssertNil(list.action(for: IPAddress("10.0.0.1")!), "a commented-out line is not an entry")
    }

    func testEmptyFileIsAnEmptyList() throws {
        XCTAssertEqual(try parse("").entryCount, 0)
        XCTAssertEqual(try parse("\n\n# nothing\n").entryCount, 0)
    }

    func testHostBitsSetNameTheLineAndTheNetwork() {
        let error = error("10.0.0.0/8\n\n10.0.0.1/8\n")
        XCTAssertEqual(error?.source, "/etc/portcullis/deny.txt")
        XCTAssertEqual(error?.line, 3)
        XCTAssertEqual(error?.description, "/etc/portcullis/deny.txt:3: '10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)")
        XCTAssertEqual(self.error("2001:db8::1/32")?.description,
                       "/etc/portcullis/deny.txt:1: '2001:db8::1/32' has host bits set (did you mean 2001:db8::/32?)")
    }

    func testMalformedLines() {
        XCTAssertEqual(error("1.2.3.4\nnot-an-address\n")?.line, 2)
        XCTAssertEqual(error("1.2.3.4\nnot-an-address\n")?.message, "'not-an-address' is not an IP address or CIDR prefix")
        XCTAssertEqual(error("# header\n10.0.0.0/33")?.line, 2)
        XCTAssertEqual(error("# header\n10.0.0.0/33")?.message, "'10.0.0.0/33' has an invalid prefix length")
        XCTAssertEqual(error("::/129")?.line, 1)
        XCTAssertEqual(error("10.0.0.0/")?.line, 1)
        XCTAssertEqual(error("10.0.0.0/-1")?.line, 1)
        XCTAssertEqual(error("10.1\n")?.line, 1, "inet_aton shorthand is not an address")
        XCTAssertEqual(error("010.0.0.1")?.line, 1, "leading zeros (octal to some parsers) are refused")
        XCTAssertEqual(error("[2001:db8::1]")?.line, 1)
        XCTAssertEqual(error("fe80::1%eth0")?.line, 1)
        XCTAssertEqual(error("1.2.3.4\n5.6.7.8 9.9.9.9\n")?.message, "'5.6.7.8 9.9.9.9': one address or prefix per line")
        XCTAssertEqual(error("1.2.3.4, 5.6.7.8")?.line, 1)
        XCTAssertEqual(error("1.2.3.4\n\u{FF}")?.line, 2)
    }

    func testInvalidUTF8IsReportedNotReplaced() {
        var builder = IPList.Builder()
        XCTAssertThrowsError(try ListParser.parse([0x31, 0x2E, 0xC3, 0x28], source: "f", action: .allow, into: &builder)) {
            XCTAssertEqual(($0 as? ListError)?.description, "f:1: not valid UTF-8")
        }
    }

    func testInlineEntryErrorsNameTheArgumentAndElement() {
        XCTAssertThrowsError(try ListParser.entry("10.0.0.1/8", source: "argument 'allow'", line: 2)) {
            XCTAssertEqual(String(describing: $0), "argument 'allow':2: '10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)")
        }
        XCTAssertEqual(try ListParser.entry(" 10.0.0.0/8 ", source: "a", line: 1), try IPPrefix(parsing: "10.0.0.0/8"))
    }
}

/// The allocation-free path for valid lines must agree with `IPPrefix(parsing:)` exactly.
final class FastPrefixTests: XCTestCase {
    func testAgreesWithIPPrefixParsing() {
        let samples = [
            "0.0.0.0", "0.0.0.0/0", "255.255.255.255/32", "10.0.0.0/8", "10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08",
            "10.0.0.0/0008", "10.0.0.0/+8", "10.0.0.0/-8", "10.0.0.0/8/8", "10.1", "010.0.0.1", "1.2.3.4.5", "1.2.3.256",
            "::", "::/0", "::/128", "::1", "2001:db8::/32", "2001:db8::1/32", "2001:DB8::/32", "::ffff:10.0.0.1",
            "::ffff:10.0.0.0/104", "2001:db8::/129", "2001:db8:::/32", "fe80::1%eth0", "[::1]", "1:2:3:4:5:6:7:8:9",
            "1111:2222:3333:4444:5555:6666:255.255.255.255", "1111:2222:3333:4444:5555:6666:7777:8888/128", "/8", "",
            "a.b.c.d", "１.2.3.4", "1.2.3.4/٣", "10.0.0.0/8 ",
        ]
        for sample in samples {
            let fast = fastPrefix(ArraySlice(Array(sample.utf8)))
            let slow = try? IPPrefix(parsing: sample)
            if let fast {
                XCTAssertEqual(fast, slow, sample)
            }
            // The fast path may decline valid input only if the general path then takes it.
            XCTAssertTrue(fast != nil || slow == nil || sample.contains(where: { !$0.isASCII }), "fast path declined \(sample)")
        }
    }
}
