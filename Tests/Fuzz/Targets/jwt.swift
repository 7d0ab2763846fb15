import Crypto
@testable import HmacPlugin
import PortcullisPluginKit
#if canImport(Glibc)
import Glibc
#endif

// The JWT (RFC 7515/7519 with HMAC): strict base64url, the hand-written JSON parser and the
// verifier, with a known key: plugins/hmac/Sources/HmacPlugin/{TokenVerifier,JSONValue}.swift.
//
// Input: a mode byte, then either a token as sent (mode even) or `header JSON` NUL `claims JSON`,
// which the harness signs with the known key so the fuzzer reaches the claims checks.

/// The key of Tests/Fuzz/Differential/jwt.py (which signs with PyJWT): 32 bytes, kid "k1".
let fuzzSecret = Array("portcullis-fuzz-key-0123456789ab".utf8)
let fuzzKey = HmacKey(kid: "k1", algorithm: .hs256, secret: SymmetricKey(data: fuzzSecret))
let fuzzKeys = try! KeySet(keys: [fuzzKey])
let fuzzVerifier = TokenVerifier(policy: TokenPolicy(leeway: 0, requireSubject: false))
/// A fixed clock for the fuzzer (2027-01-15), so a run is reproducible.
let fuzzNow = 1_800_000_000.0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count >= 1 else { return 0 }
    let mode = start.load(as: UInt8.self)
    let input = bytes(start + 1, count - 1)
    if mode & 1 == 0 {
        checkJSON(input)
        if let token = String(validating: input, as: UTF8.self) { checkToken(token, signedByUs: false, mutationSeed: Int(mode)) }
    } else {
        let pieces = parts(input, limit: 2)
        guard pieces.count == 2 else { return 0 }
        checkJSON(pieces[0])
        checkJSON(pieces[1])
        let token = TokenIssuer.encode(pieces[0]) + "." + TokenIssuer.encode(pieces[1])
        var signingInput = token
        let mac = signingInput.withUTF8 { HmacAlgorithm.hs256.authenticationCode(for: UnsafeRawBufferPointer($0), using: fuzzKey.secret) }
        checkToken(token + "." + TokenIssuer.encode(mac), signedByUs: true, mutationSeed: Int(mode))
    }
    return 0
}

/// JSON the parser accepts re-serializes to text it parses back to an equal value, and that
/// text is a fixed point.
func checkJSON(_ bytes: [UInt8]) {
    guard let value = try? JSONValue.parse(bytes) else { return }
    let text = value.serialized
    guard let again = try? JSONValue.parse(Array(text.utf8)) else { return require(false, "serialized JSON does not parse: \(text)") }
    require(again == value, "JSON does not round-trip: \(text)")
    require(again.serialized == text, "serialization is not a fixed point: \(text)")
}

func checkToken(_ token: String, signedByUs: Bool, mutationSeed: Int) {
    switch fuzzVerifier.verify(token, keys: fuzzKeys, now: fuzzNow) {
    case .failure(let rejection):
        require(!(signedByUs && rejection == .badSignature), "a token signed with the key failed its signature check")
        // On bytes: Foundation's String.contains stops at a NUL ("s\0\0…" matched any "s").
        let carried = Array(rejection.detail.utf8).firstRange(of: Array(token.utf8)) != nil
        require(!carried || token.utf8.count < 8, "the detail carries the token")
    case .success(let verified):
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        require(parts.count == 3, "accepted a token without three parts")
        // Canonical base64url: the decoded parts re-encode to exactly the bytes sent.
        let decoded = parts.map { Base64.decode(Array($0.utf8), alphabet: .url, padding: .forbidden) }
        require(decoded.allSatisfy { $0 != nil }, "accepted a part that is not base64url")
        for (part, bytes) in zip(parts, decoded) {
            require(TokenIssuer.encode(bytes ?? []) == part, "a part does not re-encode to the bytes sent")
        }
        // The claims re-serialize to an equal value (what `portcullis token verify` prints).
        let claims = JSONValue.object(verified.claims)
        require((try? JSONValue.parse(Array(claims.serialized.utf8))) == claims, "verified claims do not round-trip")
        if let payload = decoded[1] { require((try? JSONValue.parse(payload)) == claims, "verified claims are not the payload") }
        require(verified.kid == "k1" && verified.algorithm == .hs256, "verified with another key")
        if case .object(let header)? = try? JSONValue.parse(decoded[0] ?? []) {
            require(header["alg"] == .string("HS256"), "accepted a header whose alg is not the key's")
            require(header["crit"] == nil, "accepted crit")
        } else {
            require(false, "accepted a header that is not a JSON object")
        }
        if let exp = verified.claims["exp"]?.numberValue { require(fuzzNow < exp, "accepted an expired token") } else { require(false, "accepted a token without exp") }
        if let nbf = verified.claims["nbf"]?.numberValue { require(nbf <= fuzzNow, "accepted a token before nbf") }
        // Any one byte changed, anywhere, makes the token invalid (the MAC covers it, base64 is canonical).
        var mutated = Array(token.utf8)
        let position = (mutationSeed &* 131 &+ mutated.count) % mutated.count
        mutated[position] = mutated[position] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        if case .success = fuzzVerifier.verify(String(decoding: mutated, as: UTF8.self), keys: fuzzKeys, now: fuzzNow) {
            require(false, "a token with byte \(position) changed still verifies")
        }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    // Fields: token. Verdict: "accept<TAB>claims as compact JSON" or "reject<TAB>detail", at the real clock.
    runPrintModeIfAsked { fields in
        switch fuzzVerifier.verify(fields.first ?? "", keys: fuzzKeys, now: Double(time(nil))) {
        case .success(let verified): return "accept\t" + JSONValue.object(verified.claims).serialized
        case .failure(let rejection): return "reject\t" + rejection.detail
        }
    }
    return 0
}
