@testable import CsrfPlugin
import PortcullisPluginKit
import PortcullisProtocol

// The csrf plugin's reading of Origin (RFC 6454) and Sec-Fetch-Site, and the decision built
// on them: plugins/csrf/Sources/CsrfPlugin/{Origin,FetchSite,CsrfPolicy}.swift.
//
// Input: lines. The first is a method, the second a request target, the rest `Name: value`
// headers. Every request carries a Cookie, so unsafe ones are checked.

let listedOrigins: Set<Origin> = [try! Origin("https://app.example.com"), try! Origin("http://[::1]:8080")]
let csrfPolicy = CsrfPolicy(origins: listedOrigins)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let input = text(start, count) else { return 0 }
    let lines = input.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for line in lines { checkOrigin(line) }
    guard lines.count >= 2 else { return 0 }
    var headers: [(name: String, value: String)] = [("Cookie", "session=1")]
    for line in lines.dropFirst(2) {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
    }
    checkDecision(method: lines[0], target: lines[1], headers: headers)
    return 0
}

func checkOrigin(_ value: String) {
    guard let origin = try? Origin(value) else { return }
    // Canonical: its own text parses to itself, lower case, without the default port.
    require((try? Origin(origin.text)) == origin, "an origin's text is not itself: \(origin.text)")
    require(origin.text == origin.text.lowercased(), "an origin with upper case: \(origin.text)")
    require(!origin.text.hasSuffix(":80") || origin.text.hasPrefix("https:"), "http origin kept :80")
    require(!origin.text.hasSuffix(":443") || origin.text.hasPrefix("http:"), "https origin kept :443")
    let authority = value.drop { $0 != "/" }.dropFirst(2)
    require(!authority.contains { "/?#@\\ \t".contains($0) }, "an origin with a path, query, userinfo or space: \(value.debugDescription)")
    require(origin.text.hasPrefix("http://") || origin.text.hasPrefix("https://"), "an origin of another scheme")
}

func checkDecision(method: String, target: String, headers: [(name: String, value: String)]) {
    let outcome = PluginRequest.withTestRequest(method: method, path: target, headers: headers) { csrfPolicy.decide($0) }
    let values = { (name: String) in headers.filter { $0.name.lowercased() == name.lowercased() }.map { CsrfPolicy.trimmed($0.value) } }
    let sites = values("Sec-Fetch-Site")
    let origins = values("Origin")
    guard !EffectiveMethod.safeMethods.contains(method) else { return }
    // An unsafe request with a cookie passes only on these grounds.
    guard case .allow(let identity, _, _) = outcome else { return }
    require(identity.principal.isEmpty && identity.attributes.isEmpty, "a csrf pass claims an identity")
    require(sites.count <= 1 && origins.count <= 1, "passed with two Sec-Fetch-Site or two Origin headers")
    let listed = origins.first.flatMap { try? Origin($0) }.map(listedOrigins.contains) ?? false
    switch sites.first {
    case "same-origin"?, "none"?: break
    case "same-site"?, "cross-site"?: require(listed, "passed \(sites[0]) with an unlisted Origin")
    case nil: require(origins.isEmpty || listed, "passed without Sec-Fetch-Site and with an unlisted Origin")
    case let other?: require(false, "passed with Sec-Fetch-Site \(other.debugDescription)")
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    // Fields: an Origin value. Verdict: its canonical text or "refused".
    runPrintModeIfAsked { fields in (try? Origin(fields.first ?? "")).map(\.text) ?? "refused" }
    return 0
}
