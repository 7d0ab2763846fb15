import PortcullisPluginKit

/// A web origin as browsers serialize it in `Origin` (RFC 6454 §6.2): `scheme://host[:port]`,
/// nothing else. Canonical, so two origins are the same exactly when their values are equal:
/// scheme and host lower-cased, the scheme's default port dropped (`https://x:443` is
/// `https://x`), an IPv6 host in its compressed form.
///
/// Hand-written because the grammar is tiny and must be strict: a URL parser (Foundation's)
/// accepts paths, queries and userinfo that a configured origin must refuse by name, and its
/// host is not canonical. Only `http` and `https`: the schemes a browser sends for a page that
/// can reach an HTTP application.
public struct Origin: Sendable, Hashable, CustomStringConvertible {
    /// The canonical serialization, e.g. `https://intranet.example.com` or `http://localhost:8080`.
    public let text: String

    public var description: String { text }

    /// Parses a serialized origin; throws saying what is wrong with it (for a configured origin).
    public init(_ value: String) throws(OriginError) {
        let schemeEnd = try Self.schemeEnd(value)
        let scheme = value[..<schemeEnd].lowercased()
        guard let defaultPort = ["http": 80, "https": 443][scheme] else {
            throw OriginError("has scheme '\(scheme)' (only http and https)")
        }
        let authority = value[value.index(schemeEnd, offsetBy: 3)...]
        if let extra = authority.firstIndex(where: { "/?#".contains($0) }) {
            throw OriginError(authority[extra] == "/" ? "has a path (an origin ends after the host and port; no trailing '/')" : "has a query or fragment")
        }
        if authority.contains("@") { throw OriginError("has userinfo ('user@'); an origin has none") }
        let (host, port) = try Self.hostAndPort(authority)
        text = scheme + "://" + host + (port.map { $0 == defaultPort ? "" : ":\($0)" } ?? "")
    }

    /// `scheme` followed by `://` (RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )).
    private static func schemeEnd(_ value: String) throws(OriginError) -> String.Index {
        guard let separator = value.firstRange(of: "://"), separator.lowerBound > value.startIndex,
              let first = value.first, first.isASCII, first.isLetter,
              value[..<separator.lowerBound].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { throw OriginError("has no scheme (write it as scheme://host[:port], e.g. https://intranet.example.com)") }
        return separator.lowerBound
    }

    private static func hostAndPort(_ authority: Substring) throws(OriginError) -> (host: String, port: Int?) {
        var hostPart = authority
        var portText: Substring? = nil
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { throw OriginError("has an unclosed '[' in its host") }
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { throw OriginError("has text after its IPv6 host") }
                portText = rest.dropFirst()
            }
            hostPart = authority[...close]
        } else if let colon = authority.lastIndex(of: ":") {
            portText = authority[authority.index(after: colon)...]
            hostPart = authority[..<colon]
        }
        let host = try canonicalHost(hostPart)
        guard let portText else { return (host, nil) }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portText), (1...65_535).contains(port)
        else { throw OriginError("has port '\(portText)' (a number in 1...65535)") }
        return (host, port)
    }

    private static func canonicalHost(_ host: Substring) throws(OriginError) -> String {
        if host.first == "[" {
            guard let address = IPAddress(host.dropFirst().dropLast()), case .v6 = address else {
                throw OriginError("has '\(host)', not an IPv6 address")
            }
            return "[\(address)]"
        }
        guard !host.isEmpty else { throw OriginError("has no host") }
        // A DNS name (or an IPv4 address) as browsers send it: ASCII, IDNs in their xn-- form.
        guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }) else {
            throw OriginError("has host '\(host)' with characters a browser never sends (write an IDN as xn--…)")
        }
        return host.lowercased()
    }
}

/// Why a value is not an origin; says what to fix, never more.
public struct OriginError: Error, Sendable, Equatable, CustomStringConvertible {
    public let problem: String
    init(_ problem: String) { self.problem = problem }
    public var description: String { problem }
}
