public import PortcullisNetwork

/// Finds the client's address: the direct peer, unless the peer is a trusted proxy; then the
/// forwarding header is walked from the right past trusted hops (as nginx `real_ip_recursive`
/// and Apache mod_remoteip do). Every plugin and log line sees this one answer.
public struct ClientAddressResolver: Sendable {
    /// Which header trusted proxies use. One, explicitly: mixing them lets a client smuggle
    /// an address through the header its proxy does not rewrite.
    public enum Header: String, Sendable {
        case xForwardedFor = "x-forwarded-for"
        case forwarded = "forwarded"
    }

    public struct Resolution: Sendable, Equatable {
        /// nil when unknown: no peer, or a chain that could not be trusted (fail closed).
        public var client: IPAddress?
        /// How the answer was reached; rendered only when someone reads `note`.
        public var source: Source

        public var note: String { source.description }
    }

    /// How a client address was found (or why not), for traces and `portcullis check`.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        case noPeer
        case directPeer(ignoredHeader: String?)
        case proxySentNoHeader(String)
        case malformedForwarded
        case unusableHop(String, header: String)
        case forwarded(header: String, proxy: IPAddress)
        case everyHopTrusted(header: String)
        case notResolved

        public var description: String {
            switch self {
            case .noPeer: "no peer address"
            case .directPeer(nil): "direct peer"
            case .directPeer(let header?): "direct peer (\(header) from an untrusted peer ignored)"
            case .proxySentNoHeader(let header): "trusted proxy sent no \(header)"
            case .malformedForwarded: "malformed Forwarded element from a trusted hop"
            case .unusableHop(let hop, let header): "unusable hop \(hop.debugDescription) in \(header)"
            case .forwarded(let header, let proxy): "from \(header) via trusted proxy \(proxy)"
            case .everyHopTrusted(let header): "every hop in \(header) is trusted; using the first"
            case .notResolved: "not resolved"
            }
        }
    }

    public let trusted: [IPPrefix]
    public let header: Header

    public init(trusted: [IPPrefix] = [], header: Header = .xForwardedFor) {
        self.trusted = trusted
        self.header = header
    }

    public func isTrusted(_ address: IPAddress) -> Bool {
        trusted.contains { $0.contains(address) }
    }

    public func resolve(peer: IPAddress?, headers: [HTTPHeader]) -> Resolution {
        guard let peer else { return Resolution(client: nil, source: .noPeer) }
        let name = header.rawValue
        let present = headers.contains { $0.name.equalsIgnoringASCIICase(name) }
        guard isTrusted(peer) else {
            return Resolution(client: peer, source: .directPeer(ignoredHeader: present ? name : nil))
        }
        guard present else { return Resolution(client: peer, source: .proxySentNoHeader(name)) }
        switch header {
        case .xForwardedFor: return walkXForwardedFor(headers, proxy: peer)
        case .forwarded: return walkForwarded(headers.filter { $0.name.equalsIgnoringASCIICase(name) }.map(\.value), proxy: peer)
        }
    }

    /// Nearest hop first: X-Forwarded-For entries right to left, over the header lines from the
    /// last. Each is parsed only when every hop to its right was trusted, so what a client wrote
    /// never matters. On bytes, in place: this runs on every request behind a proxy.
    private func walkXForwardedFor(_ headers: [HTTPHeader], proxy: IPAddress) -> Resolution {
        var client: IPAddress? = nil
        for line in headers.reversed() where line.name.equalsIgnoringASCIICase(Header.xForwardedFor.rawValue) {
            let verdict: Resolution?? = line.value.utf8.withContiguousStorageIfAvailable { value in
                var end = value.endIndex
                while true {
                    var start = end
                    while start > value.startIndex, value[start - 1] != UInt8(ascii: ",") { start -= 1 }
                    let hop = Self.trimmingWhitespace(value[start..<end])
                    guard let address = Self.address(ofNode: hop) else {
                        return Resolution(client: nil, source: .unusableHop(String(decoding: hop, as: UTF8.self), header: Header.xForwardedFor.rawValue))
                    }
                    client = address
                    if !isTrusted(address) { return Resolution(client: address, source: .forwarded(header: Header.xForwardedFor.rawValue, proxy: proxy)) }
                    guard start > value.startIndex else { return nil }
                    end = start - 1
                }
            }
            // A native String's UTF-8 is always contiguous; a bridged one would not be, so refuse.
            guard let verdict else { return Resolution(client: nil, source: .notResolved) }
            if let verdict { return verdict }
        }
        return Resolution(client: client, source: .everyHopTrusted(header: Header.xForwardedFor.rawValue))
    }

    private func walkForwarded(_ values: [String], proxy: IPAddress) -> Resolution {
        var client: IPAddress? = nil
        for element in ForwardedHeader.elementsFromRight(values) {
            guard let node = ForwardedHeader.forNode(ofElement: element) else {
                return Resolution(client: nil, source: .malformedForwarded)
            }
            guard let address = Self.address(ofNode: node) else {
                return Resolution(client: nil, source: .unusableHop(node, header: Header.forwarded.rawValue))
            }
            client = address
            if !isTrusted(address) { return Resolution(client: address, source: .forwarded(header: Header.forwarded.rawValue, proxy: proxy)) }
        }
        return Resolution(client: client, source: .everyHopTrusted(header: Header.forwarded.rawValue))
    }

    /// Without optional whitespace (OWS: spaces and tabs, RFC 9110 §5.6.3) at either end.
    private static func trimmingWhitespace(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        var (start, end) = (bytes.startIndex, bytes.endIndex)
        while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
        while end > start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        return bytes[start..<end]
    }

    /// An address from a hop: `192.0.2.1`, `192.0.2.1:8080`, `[2001:db8::1]`, `[2001:db8::1]:443`
    /// or a bare IPv6 address. `unknown` and obfuscated identifiers (`_hidden`) are not addresses.
    static func address(ofNode node: String) -> IPAddress? {
        var node = node
        return node.withUTF8 { address(ofNode: $0[...]) }
    }

    static func address(ofNode node: Slice<UnsafeBufferPointer<UInt8>>) -> IPAddress? {
        let colon = UInt8(ascii: ":")
        if node.first == UInt8(ascii: "[") {
            guard let close = node.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            let rest = node[(close + 1)...]
            guard rest.isEmpty || (rest.first == colon && isPort(rest.dropFirst())) else { return nil }
            return IPAddress(utf8: UnsafeBufferPointer(rebasing: node[(node.startIndex + 1)..<close]))
        }
        if let address = IPAddress(utf8: UnsafeBufferPointer(rebasing: node)) { return address }
        // `host:port`: exactly one colon (more would be an IPv6 address, which inet_pton refused).
        guard let first = node.firstIndex(of: colon), node.lastIndex(of: colon) == first, isPort(node[(first + 1)...]) else { return nil }
        return IPAddress(utf8: UnsafeBufferPointer(rebasing: node[..<first]))
    }

    /// 1 to 5 ASCII digits, at most 65535.
    private static func isPort(_ text: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard (1...5).contains(text.count) else { return false }
        var value = 0
        for byte in text {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return false }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value <= 65535
    }
}
