/// A rule's `hosts` item: a host name compared case-insensitively, or `*.example.com` for every
/// name below example.com (not example.com itself). Ports are not part of it: the request's
/// `Host` is compared without its port.
enum HostPattern: Sendable, Equatable {
    case exact(String)
    /// `.example.com`: the name must end with it and have something before it.
    case subdomains(of: String)

    init?(_ text: String) {
        let lower = text.lowercased()
        func isName(_ name: Substring) -> Bool {
            !name.isEmpty && !name.hasPrefix(".") && !name.hasSuffix(".") && !name.contains("..")
                && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x2E }
        }
        if lower.hasPrefix("*.") {
            guard isName(lower.dropFirst(2)) else { return nil }
            self = .subdomains(of: String(lower.dropFirst()))
        } else {
            guard isName(lower[...]) || Self.isBracketedIPv6(lower) else { return nil }
            self = .exact(lower)
        }
    }

    func matches(_ host: String) -> Bool {
        switch self {
        case .exact(let name): host.utf8.elementsEqual(name.utf8)
        case .subdomains(let suffix): host.utf8.count > suffix.utf8.count && host.utf8.reversed().starts(with: suffix.utf8.reversed())
        }
    }

    /// The request's `Host` as patterns compare it: lower-cased, without a port (`[::1]:8080` is `[::1]`).
    static func normalized(_ host: String) -> String {
        var host = host.lowercased()
        if host.hasPrefix("[") {
            if let close = host.firstIndex(of: "]") { host = String(host[...close]) }
        } else if let colon = host.firstIndex(of: ":") {
            host = String(host[..<colon])
        }
        if host.hasSuffix(".") { host.removeLast() }
        return host
    }

    private static func isBracketedIPv6(_ text: String) -> Bool {
        text.hasPrefix("[") && text.hasSuffix("]") && text.dropFirst().dropLast().utf8.allSatisfy {
            (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || $0 == 0x3A || $0 == 0x2E
        }
    }
}
