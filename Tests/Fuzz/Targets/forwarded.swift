@testable import Portcullis
import PortcullisNetwork
import PortcullisProtocol

// X-Forwarded-For and Forwarded (RFC 7239), walked from the right past trusted proxies:
// Sources/Portcullis/Address/ClientAddressResolver.swift and ForwardedHeader.swift.
//
// Input: one configuration byte (which header, which trusted set, which peer), then the
// header's values, one per line.

let trustedSets: [[IPPrefix]] = [
    ["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32", "127.0.0.1"].map { try! IPPrefix(parsing: $0) },
    ["0.0.0.0/0", "::/0"].map { try! IPPrefix(parsing: $0) },
    ["10.1.2.3", "::ffff:172.16.0.0/108"].map { try! IPPrefix(parsing: $0) },
    [],
]
// Built at run time: a static array literal of `IPAddress?` (UInt128 payload) made the 6.3
// compiler emit an object one element stride too short, which ASan reports as an overflow.
let peers: [IPAddress?] = {
    var peers: [IPAddress?] = ["10.0.0.1", "192.0.2.7", "::ffff:10.1.2.3", "2001:db8::5"].map { IPAddress($0) }
    peers.append(nil)
    return peers
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count >= 1, let rest = text(start + 1, count - 1) else { return 0 }
    let config = start.load(as: UInt8.self)
    let header: ClientAddressResolver.Header = config & 1 == 0 ? .xForwardedFor : .forwarded
    let resolver = ClientAddressResolver(trusted: trustedSets[Int(config >> 1) % trustedSets.count], header: header)
    let peer = peers[Int(config >> 3) % peers.count]
    let values = rest.isEmpty ? [] : rest.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    checkResolution(resolver, peer: peer, values: values)
    return 0
}

func headers(_ resolver: ClientAddressResolver, _ values: [String]) -> [HTTPHeader] {
    let name = resolver.header == .forwarded ? "Forwarded" : "X-Forwarded-For"
    return [HTTPHeader("Host", "example.com")] + values.map { HTTPHeader(name, $0) }
}

/// Every address a hop of the header names (what the resolver may pick from).
func hopAddresses(_ resolver: ClientAddressResolver, _ values: [String]) -> [IPAddress] {
    switch resolver.header {
    case .xForwardedFor:
        // On bytes, as the resolver splits: a combining mark after ',' is one Character with it.
        let whitespace: Set<UInt8> = [UInt8(ascii: " "), UInt8(ascii: "\t")]
        return values.flatMap { $0.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) }
            .map { hop in String(decoding: hop.drop { whitespace.contains($0) }.reversed().drop { whitespace.contains($0) }.reversed(), as: UTF8.self) }
            .compactMap(ClientAddressResolver.address(ofNode:))
    case .forwarded:
        return ForwardedHeader.elementsFromRight(values).compactMap(ForwardedHeader.forNode(ofElement:))
            .compactMap(ClientAddressResolver.address(ofNode:))
    }
}

func checkResolution(_ resolver: ClientAddressResolver, peer: IPAddress?, values: [String]) {
    let resolution = resolver.resolve(peer: peer, headers: headers(resolver, values))
    guard let peer else {
        require(resolution.client == nil, "a client without a peer")
        return
    }
    guard resolver.isTrusted(peer) else {
        require(resolution.client == peer, "an untrusted peer's header was believed")
        return
    }
    guard !values.isEmpty else {
        require(resolution.client == peer, "no header from a trusted proxy must give the peer")
        return
    }
    switch resolution.source {
    case .forwarded:
        guard let client = resolution.client else { return require(false, "forwarded without a client") }
        require(!resolver.isTrusted(client), "stopped at a trusted hop")
        require(hopAddresses(resolver, values).contains(client), "the client is none of the header's addresses")
        // What a client wrote to the left of the first untrusted hop is never read: junk there
        // (an unbalanced quote, a bad element, a whole bad line) changes nothing.
        for junk in ["\"junk, for=[::1", "for=\"unbalanced", "not an address"] {
            var inline = values
            inline[0] = junk + "," + inline[0]
            require(resolver.resolve(peer: peer, headers: headers(resolver, inline)) == resolution, "junk on the left of an inline value changed the answer")
            require(resolver.resolve(peer: peer, headers: headers(resolver, [junk] + values)) == resolution, "a junk first line changed the answer")
        }
    case .everyHopTrusted:
        guard let client = resolution.client else { return require(false, "every hop trusted without a client") }
        require(resolver.isTrusted(client), "every hop trusted, but the client is not")
        require(hopAddresses(resolver, values).contains(client), "the client is none of the header's addresses")
    case .malformedForwarded, .unusableHop:
        require(resolution.client == nil, "a malformed chain must leave the client unknown (fail closed)")
    case .noPeer, .directPeer, .proxySentNoHeader, .notResolved:
        require(false, "unexpected source \(resolution.source) for a trusted peer with a header")
    }
    // A trusted proxy appending its own hop on the right changes nothing.
    let appended = resolver.header == .forwarded ? "for=\"\(peer.description.contains(":") ? "[\(peer)]" : "\(peer)")\"" : "\(peer)"
    require(resolver.resolve(peer: peer, headers: headers(resolver, values + [appended])).client == resolution.client,
            "a trusted hop appended on the right changed the client")
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    // Fields: header (xff|forwarded), trusted prefixes (comma-separated), peer, values…
    runPrintModeIfAsked { fields in
        guard fields.count >= 3 else { return "error: fields" }
        let trusted = fields[1].split(separator: ",").compactMap { try? IPPrefix(parsing: $0) }
        let resolver = ClientAddressResolver(trusted: trusted, header: fields[0] == "forwarded" ? .forwarded : .xForwardedFor)
        let resolution = resolver.resolve(peer: IPAddress(fields[2]), headers: headers(resolver, Array(fields.dropFirst(3))))
        return resolution.client.map { "\($0)" } ?? "unknown"
    }
    return 0
}
