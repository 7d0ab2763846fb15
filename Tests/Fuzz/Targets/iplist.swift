@testable import IplistPlugin
import PortcullisNetwork
import PortcullisPluginKit

// The iplist reader and its lookup table: plugins/iplist/Sources/IplistPlugin/{ListParser,
// RangeTable,IPList}.swift, with PortcullisNetwork's IPPrefix.
//
// Input: a list file (allow entries); after a NUL, a deny file.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let pieces = parts(bytes(start, count), limit: 2)
    checkList(allow: pieces[0], deny: pieces.count > 1 ? pieces[1] : [])
    return 0
}

func checkList(allow: [UInt8], deny: [UInt8]) {
    var builder = IPList.Builder()
    do {
        try ListParser.parse(allow, source: "allow", action: .allow, into: &builder)
        try ListParser.parse(deny, source: "deny", action: .deny, into: &builder)
    } catch {
        require(error.line.map { $0 >= 1 } ?? false, "an error without a line")
        return
    }
    // The fast path and IPPrefix's own parser agree on every line.
    var entries: [(IPPrefix, ListAction)] = []
    for (file, action) in [(allow, ListAction.allow), (deny, .deny)] {
        for line in file.split(separator: UInt8(ascii: "\n")) {
            let content = line.prefix { $0 != UInt8(ascii: "#") }
            let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D }
            guard let first = content.firstIndex(where: { !isSpace($0) }), let last = content.lastIndex(where: { !isSpace($0) }) else { continue }
            let field = content[first...last]
            let general = try? IPPrefix(parsing: String(decoding: field, as: UTF8.self))
            require(general != nil, "a line was accepted that IPPrefix refuses: \(String(decoding: field, as: UTF8.self).debugDescription)")
            require(field.allSatisfy { "0123456789abcdefABCDEF.:/".utf8.contains($0) },
                    "accepted a line with bytes no address has: \(String(decoding: field, as: UTF8.self).debugDescription)")
            if let fast = fastPrefix(field) { require(fast == general, "the fast path reads \(fast), IPPrefix \(String(describing: general))") }
            if let general { entries.append((general, action)) }
        }
    }
    require(builder.count == entries.count, "entries lost or invented: \(builder.count) vs \(entries.count)")
    // The list round-trips: the entries written back parse to the same entries.
    var again = IPList.Builder()
    let written = entries.filter { $0.1 == .allow }.map { "\($0.0)" }.joined(separator: "\n")
    try? ListParser.parse(Array(written.utf8), source: "again", action: .allow, into: &again)
    require(again.count == entries.filter { $0.1 == .allow }.count, "written entries do not parse back")

    // The range table answers as a plain scan does: most specific prefix, deny on a tie.
    let list = IPList(builder)
    var probes: [IPAddress] = [.v4(0), .v4(.max), .v6(0), .v6(.max)]
    for (prefix, _) in entries.prefix(64) {
        probes.append(prefix.network)
        switch prefix.network {
        case .v4(let value):
            let last = value | (prefix.length == 0 ? .max : UInt32.max >> prefix.length)
            probes += [.v4(last), .v4(last &+ 1), .v4(value &- 1)]
        case .v6(let value):
            let last = value | (prefix.length == 0 ? .max : UInt128.max >> prefix.length)
            probes += [.v6(last), .v6(last &+ 1), .v6(value &- 1)]
        }
    }
    for address in probes {
        require(list.action(for: address) == scan(entries, address), "lookup of \(address) disagrees with a scan")
    }
}

/// The reference: every entry tested in turn, the longest containing prefix wins, deny on a tie.
func scan(_ entries: [(IPPrefix, ListAction)], _ address: IPAddress) -> ListAction? {
    var best: (length: Int, action: ListAction)? = nil
    for (prefix, action) in entries where covers(prefix, address) {
        let length = effectiveLength(prefix)
        if best == nil || length > best!.length || (length == best!.length && action > best!.action) { best = (length, action) }
    }
    return best?.action
}

/// IPv6 prefixes inside ::ffff:0:0/96 speak about IPv4 addresses (as the plugin documents).
func covers(_ prefix: IPPrefix, _ address: IPAddress) -> Bool {
    switch (prefix.network, address.unmapped) {
    case (.v4, .v4): return prefix.contains(address)
    case (.v6(let network), .v4(let value)):
        guard prefix.length >= 96, network >> 32 == 0xffff else { return false }
        return prefix.contains(.v6(UInt128(0xffff) << 32 | UInt128(value)))
    case (.v6(let network), .v6):
        if prefix.length >= 96, network >> 32 == 0xffff { return false }
        return prefix.contains(address.unmapped)
    default: return false
    }
}

func effectiveLength(_ prefix: IPPrefix) -> Int {
    if case .v6(let network) = prefix.network, prefix.length >= 96, network >> 32 == 0xffff { return prefix.length - 96 }
    return prefix.length
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    // Fields: prefix text, address text. Verdict: "prefix<TAB>network/length" or "bad-prefix",
    // then "<TAB>in" / "<TAB>out" / "<TAB>bad-address": IPPrefix parsing and `contains`, and the
    // list built from that one entry.
    runPrintModeIfAsked { fields in
        guard fields.count == 2 else { return "error: fields" }
        guard let prefix = try? IPPrefix(parsing: fields[0]) else { return "bad-prefix" }
        guard let address = IPAddress(fields[1]) else { return "prefix\t\(prefix)\tbad-address" }
        let listed = IPList(allow: [prefix]).action(for: address) == .allow
        return "prefix\t\(prefix)\t\(prefix.contains(address) ? "in" : "out")\t\(listed ? "in" : "out")"
    }
    return 0
}
