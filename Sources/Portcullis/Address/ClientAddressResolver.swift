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
        let values = headers.filter { $0.name.equalsIgnoringASCIICase(header.rawValue) }.map(\.value)
        guard isTrusted(peer) else {
            return Resolution(client: peer, source: .directPeer(ignoredHeader: values.isEmpty ? nil : header.rawValue))
        }
        guard !values.isEmpty else { return Resolution(client: peer, source: .proxySentNoHeader(header.rawValue)) }

        // Nearest hop first: X-Forwarded-For entries or Forwarded elements. Each is parsed only
        // when every hop to its right was trusted, so what a client wrote never matters.
        let hops: [String]
        switch header {
        case .xForwardedFor:
            hops = values.reversed().flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).reversed() }
                .map { String($0.trimmingWhitespace()) }
        case .forwarded:
            hops = ForwardedHeader.elementsFromRight(values)
        }

        var client: IPAddress? = nil
        for hop in hops {
            guard let node = header == .forwarded ? ForwardedHeader.forNode(ofElement: hop) : hop else {
                return Resolution(client: nil, source: .malformedForwarded)
            }
            guard let address = Self.address(ofNode: node) else {
                return Resolution(client: nil, source: .unusableHop(node, header: header.rawValue))
            }
            client = address
            if !isTrusted(address) { return Resolution(client: address, source: .forwarded(header: header.rawValue, proxy: peer)) }
        }
        return Resolution(client: client, source: .everyHopTrusted(header: header.rawValue))
    }

    /// An address from a hop: `192.0.2.1`, `192.0.2.1:8080`, `[2001:db8::1]`, `[2001:db8::1]:443`
    /// or a bare IPv6 address. `unknown` and obfuscated identifiers (`_hidden`) are not addresses.
    static func address(ofNode node: String) -> IPAddress? {
        if node.hasPrefix("[") {
            guard let close = node.firstIndex(of: "]") else { return nil }
            let rest = node[node.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && isPort(rest.dropFirst())) else { return nil }
            return IPAddress(node[node.index(after: node.startIndex)..<close])
        }
        if let address = IPAddress(node) { return address }
        let parts = node.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, isPort(parts[1]), !parts[0].contains(":") else { return nil }
        return IPAddress(parts[0])
    }

    private static func isPort(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 5 && text.allSatisfy { $0.isASCII && $0.isNumber } && (Int(text) ?? 70000) <= 65535
    }
}

extension StringProtocol {
    /// Without optional whitespace (OWS: spaces and tabs, RFC 9110 §5.6.3) at either end.
    func trimmingWhitespace() -> Substring {
        let isWhitespace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let text = self[...]
        guard let first = text.firstIndex(where: { !isWhitespace($0) }), let last = text.lastIndex(where: { !isWhitespace($0) }) else {
            return Substring()
        }
        return Substring(text[first...last])
    }
}
