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
        /// How the answer was reached, for the trace.
        public var note: String
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
        guard let peer else { return Resolution(client: nil, note: "no peer address") }
        let values = headers.filter { $0.name.equalsIgnoringASCIICase(header.rawValue) }.map(\.value)
        guard isTrusted(peer) else {
            let note = values.isEmpty ? "direct peer" : "direct peer (\(header.rawValue) from an untrusted peer ignored)"
            return Resolution(client: peer, note: note)
        }
        guard !values.isEmpty else { return Resolution(client: peer, note: "trusted proxy sent no \(header.rawValue)") }

        let hops: [String]
        switch header {
        case .xForwardedFor:
            hops = values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
                .map { $0.trimmingCharacters(in: " \t") }
        case .forwarded:
            guard let nodes = ForwardedHeader.forNodes(values) else {
                return Resolution(client: nil, note: "malformed Forwarded header from a trusted proxy")
            }
            hops = nodes
        }

        var client: IPAddress? = nil
        for hop in hops.reversed() {
            guard let address = Self.address(ofNode: hop) else {
                return Resolution(client: nil, note: "unusable hop \(hop.debugDescription) in \(header.rawValue)")
            }
            client = address
            if !isTrusted(address) { return Resolution(client: address, note: "from \(header.rawValue) via trusted proxy \(peer)") }
        }
        return Resolution(client: client, note: "every hop in \(header.rawValue) is trusted; using the first")
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
    func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        return String(drop { characters.contains($0) }.reversed().drop { characters.contains($0) }.reversed())
    }
}
