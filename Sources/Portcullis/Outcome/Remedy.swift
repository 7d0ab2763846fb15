import PortcullisProtocol

#if canImport(Glibc)
import Glibc
#endif

/// One sentence for the operator about a deny: what was seen and what to do. `portcullis check`
/// prints it and the decision log carries it; it is never sent to a client (it names headers,
/// schemes and configuration a client must not learn: the client's message is
/// ``ResponsePolicy/safeMessage(for:)``). Built only from the outcome, header names and the stack's
/// shape, never from a credential's value.
///
/// Where the request shows the cause, the sentence says it (a proxy that renamed `Authorization`,
/// a proxy that sets no forwarding header, how long ago a credential expired, which schemes the
/// stack takes); otherwise it is the reason's ``generic(_:)`` sentence (docs/reasons.md).
package enum Remedy {
    /// The remedy for `outcome`, or nil for an allow. `stack` is the stack that decided (nil when
    /// it does not exist); `now` is the wall clock in Unix seconds (a parameter, so the function
    /// stays pure and tests need no clock).
    package static func sentence(for outcome: Outcome, request: AuthRequest, stack: Stack?, now: Double = Remedy.wallClock()) -> String? {
        guard !outcome.isAllowed else { return nil }
        let reason = outcome.reason ?? .pluginError
        switch reason {
        case .missingCredentials:
            return renamedAuthorization(outcome, request) ?? generic(reason)
        case .ipNotAllowed:
            return clientAddressCause(outcome, request) ?? generic(reason)
        case .expiredCredentials:
            return expiry(outcome, now: now) ?? generic(reason)
        case .unsupportedScheme:
            return acceptedSchemes(outcome, stack)
        default:
            return generic(reason)
        }
    }

    /// A trusted proxy forwarded the request with `Proxy-Authorization` or
    /// `X-Forwarded-Authorization` but no `Authorization`: it renamed or consumed the header
    /// (a proxy that authenticates for itself, or a rewrite rule).
    private static func renamedAuthorization(_ outcome: Outcome, _ request: AuthRequest) -> String? {
        guard outcome.clientSource.peerIsTrusted, request.values(of: "Authorization").isEmpty else { return nil }
        let renamed = ["Proxy-Authorization", "X-Forwarded-Authorization"].filter { !request.values(of: $0).isEmpty }
        guard !renamed.isEmpty else { return nil }
        return "The trusted proxy sent \(renamed.joined(separator: " and ")) but no Authorization: the proxy renamed or consumed the Authorization header; "
            + "configure it to pass Authorization on unchanged (nginx passes it by default; do not set proxy_set_header Authorization \"\")."
    }

    /// The address the list refused is not the client's: a trusted proxy that sets no forwarding
    /// header is itself the client, and a proxy not in `[proxy] trusted` has its header ignored.
    private static func clientAddressCause(_ outcome: Outcome, _ request: AuthRequest) -> String? {
        let peer = request.peer.map { "\($0)" } ?? "unknown"
        switch outcome.clientSource {
        case .proxySentNoHeader(let header):
            let name = displayName(ofHeader: header)
            return "The client address was taken from the peer \(peer), a trusted proxy that sent no \(name): the proxy does not set \(name); "
                + "make it set the header (nginx: proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for), or the address list judges the proxy, not the client."
        case .directPeer(let header?):
            return "The peer \(peer) sent \(displayName(ofHeader: header)), but it is not in [proxy] trusted, so the peer itself was checked: "
                + "add the proxy's address to [proxy] trusted if it is your proxy."
        case .malformedForwarded, .unusableHop, .noPeer:
            return "The client address is unknown (\(outcome.clientNote)), and address lists refuse an unknown client: fix the forwarding header the proxy sends."
        default:
            return nil
        }
    }

    /// How long ago the credential expired, when the deciding entry's detail says when
    /// (`expired_at=<Unix seconds>`, the convention of docs/reasons.md).
    private static func expiry(_ outcome: Outcome, now: Double) -> String? {
        let details = outcome.trace.filter { $0.index == outcome.decidedBy || $0.reasonCode == .expiredCredentials }.compactMap(\.detail)
        guard let expiredAt = details.lazy.compactMap(expiredAt).first else { return nil }
        let ago = Int((now - Double(expiredAt)).rounded(.down))
        guard ago >= 0 else {
            return "The credential expires at \(expiredAt) (Unix time), which this host's clock has not reached, yet it was refused as expired: compare the clocks of the issuer and this host."
        }
        return "The credential expired \(span(ago)) ago: the user must set a new password or the client get a new token"
            + (ago < 300 ? "; so recent an expiry may also be the issuer's and this host's clocks disagreeing." : ".")
    }

    /// Which schemes the stack accepts: those of the challenges offered, then those the stack's
    /// credential plugins take (ABI `consumes`), in stack order.
    private static func acceptedSchemes(_ outcome: Outcome, _ stack: Stack?) -> String {
        var schemes: [String] = []
        func add(_ scheme: String) {
            if !scheme.isEmpty, !schemes.contains(where: { $0.equalsIgnoringASCIICase(scheme) }) { schemes.append(scheme) }
        }
        for challenge in outcome.challenges { add(String(challenge.prefix { $0 != " " && $0 != "," })) }
        for entry in stack?.entries ?? [] {
            if entry.plugin.consumes.contains(.basic) { add("Basic") }
            if entry.plugin.consumes.contains(.bearer) { add("Bearer") }
        }
        guard !schemes.isEmpty else { return generic(.unsupportedScheme) }
        let sent = outcome.credential.kind == CredentialKind.none ? "no credential" : "\(outcome.credential)"
        return "The request carries \(sent), and this stack accepts \(schemes.joined(separator: ", ")): "
            + "the client must send one of those, or the stack needs an entry that takes this scheme."
    }

    /// `expired_at=1764640000` in a detail → 1764640000.
    private static func expiredAt(_ detail: String) -> Int? {
        guard let key = detail.range(of: "expired_at=") else { return nil }
        return Int(detail[key.upperBound...].prefix { $0.isASCII && $0.isNumber })
    }

    /// `45 s`, `12 min`, `5 h`, `3 days`.
    package static func span(_ seconds: Int) -> String {
        switch seconds {
        case ..<120: "\(seconds) s"
        case ..<7200: "\(seconds / 60) min"
        case ..<172_800: "\(seconds / 3600) h"
        default: "\(seconds / 86_400) days"
        }
    }

    /// `x-forwarded-for` (how the resolver names it) → `X-Forwarded-For`.
    private static func displayName(ofHeader header: String) -> String {
        header.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: "-")
    }

    /// The wall clock, in Unix seconds.
    package static func wallClock() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

extension ClientAddressResolver.Source {
    /// Whether the direct peer was a trusted proxy (its forwarding header was read, or it sent none).
    var peerIsTrusted: Bool {
        switch self {
        case .proxySentNoHeader, .malformedForwarded, .unusableHop, .forwarded, .everyHopTrusted: true
        case .noPeer, .directPeer, .notResolved: false
        }
    }
}
