import ArgumentParser
import Foundation
import HmacPlugin

/// `portcullis-token`: mints and checks HMAC tokens for the `hmac` plugin.
/// `portcullis token …` runs this executable, so the host binary links no plugin code.
@main
struct PortcullisToken: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis-token",
        abstract: "Issue and verify HMAC bearer tokens (JWT HS256/384/512) for the hmac plugin.",
        subcommands: [Issue.self, Verify.self])
}

struct Issue: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a signed token.")

    @Option(help: "The JSON Web Key Set file.") var keys: String
    @Option(help: "The key to sign with (required when the set has several keys).") var kid: String?
    @Option(help: "The subject: the principal the plugin reports.") var sub: String
    @Option(help: "Lifetime: a number with s, m, h or d (e.g. 15m).") var ttl: String = "15m"
    @Option(help: "The audience (aud).") var aud: String?
    @Option(help: "The issuer (iss).") var iss: String?
    @Option(help: "An extra string claim, name=value; repeatable.") var claim: [String] = []
    @Flag(name: .customLong("no-jti"), help: "Leave out the jti claim: the token cannot be revoked.") var noJti = false

    func run() throws {
        let keySet = try loadKeys(keys)
        guard let key = keySet.key(for: kid) else {
            throw ValidationError(kid == nil
                ? "the key set has \(keySet.keys.count) keys: choose one with --kid"
                : "no key with kid \"\(kid ?? "")\" in \(keys)")
        }
        guard let lifetime = parseDuration(ttl) else {
            throw ValidationError("--ttl must be a positive number with s, m, h or d, e.g. 15m")
        }
        let now = Date().timeIntervalSince1970.rounded(.down)
        var claims: [String: JSONValue] = [
            "sub": .string(sub), "iat": .number(now), "exp": .number(now + lifetime),
            "jti": .string(UUID().uuidString.lowercased()),
        ]
        if noJti { claims["jti"] = nil }
        if let aud { claims["aud"] = .string(aud) }
        if let iss { claims["iss"] = .string(iss) }
        for pair in claim {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--claim must be name=value, not '\(pair)'")
            }
            let name = String(pair[..<equals])
            guard !["sub", "exp", "iat", "nbf", "aud", "iss"].contains(name) else {
                throw ValidationError("--claim cannot set \(name); use its own option")
            }
            claims[name] = .string(String(pair[pair.index(after: equals)...]))
        }
        print(TokenIssuer.issue(claims: claims, key: key))
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a token's claims if it verifies, or the reason it does not (exit status 1).")

    @Option(help: "The JSON Web Key Set file.") var keys: String
    @Option(help: "The audience to require (aud).") var aud: String?
    @Argument(help: "The token.") var token: String

    func run() throws {
        let keySet = try loadKeys(keys)
        let verifier = TokenVerifier(policy: TokenPolicy(audiences: aud.map { [$0] } ?? []))
        switch verifier.verify(token, keys: keySet, now: Date().timeIntervalSince1970) {
        case .success(let verified):
            print(JSONValue.object(verified.claims).serialized)
        case .failure(let rejection):
            FileHandle.standardError.write(Data("\(rejection.reason.code): \(rejection.detail)\n".utf8))
            throw ExitCode(1)
        }
    }
}

private func loadKeys(_ path: String) throws -> KeySet {
    do {
        return try KeySet(contentsOf: path)
    } catch {
        throw ValidationError(error.description)
    }
}

/// `90`, `90s`, `15m`, `2h`, `1d` → seconds; nil when not a positive duration.
func parseDuration(_ text: String) -> Double? {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
    var digits = Substring(text)
    var scale = 1.0
    if let last = text.last, let unit = units[last] {
        scale = unit
        digits = digits.dropLast()
    }
    guard let value = Int(digits), value > 0 else { return nil }
    return Double(value) * scale
}
