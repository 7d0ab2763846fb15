// bench-hmac: full verification of a ~350-byte HS256 token through TokenVerifier, next to
// the floor — one HMAC-SHA256 over the same signing input, straight from swift-crypto —
// measured in the same run, interleaved, best round of each kept (2-core machines are noisy); and
// beside an OpenSSL C verifier of the same token (bench/hmac-openssl/verify.c, path in
// PORTCULLIS_BENCH_C_VERIFIER, built by bench/run), run before and after the Swift rounds.
//
// Row format: figure<TAB>value<TAB>unit<TAB>comparison-figure<TAB>comparison-value<TAB>ratio
import Crypto
import Foundation
import HmacPlugin
import PortcullisPluginKit

let secret = SymmetricKey(data: (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
let key = HmacKey(kid: "2026-11", algorithm: .hs256, secret: secret)
let keys = try KeySet(keys: [key, HmacKey(kid: "2026-10", algorithm: .hs256, secret: SymmetricKey(size: .bits256))])
let now = Date().timeIntervalSince1970.rounded(.down)
let claims: [String: JSONValue] = [
    "sub": .string("svc-billing"),
    "iss": .string("https://auth.internal.example"),
    "aud": .string("billing-api"),
    "iat": .number(now), "exp": .number(now + 900),
    "jti": .string("6f1d0c2e-3b7a-4c1e-9d2f-8a5b7c9e0f12"),
    "role": .string("reader"), "scope": .string("invoices:read"),
]
let token = TokenIssuer.issue(claims: claims, key: key)
let signingInput = Array(token.utf8[..<(token.utf8.lastIndex(of: UInt8(ascii: ".")) ?? token.utf8.endIndex)])
let signature = Base64.decode(token.utf8.split(separator: UInt8(ascii: ".")).last ?? [], alphabet: .url, padding: .forbidden) ?? []
let verifier = TokenVerifier(policy: TokenPolicy(issuer: "https://auth.internal.example", audiences: ["billing-api"], exposedClaims: ["role", "scope"]))

guard case .success = verifier.verify(token, keys: keys, now: now) else { fatalError("bench token does not verify") }
guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: secret) else { fatalError("floor MAC mismatch") }

/// Runs `body` `iterations` times; returns operations per second.
func rate(_ iterations: Int, _ body: () -> Bool) -> Double {
    var good = 0
    let start = ContinuousClock.now
    for _ in 0..<iterations where body() { good += 1 }
    let elapsed = ContinuousClock.now - start
    precondition(good == iterations, "a verification failed during the run")
    return Double(iterations) / elapsed.seconds
}

// BENCH_SCALE (default 1) divides the work, for a profiler run (callgrind) with a fixed count;
// PORTCULLIS_BENCH_C_VERIFIER=none then skips the C peer (profiling only: no target row).
let scale = max(1, Int(ProcessInfo.processInfo.environment["BENCH_SCALE"] ?? "1") ?? 1)
let iterations = 150_000 / scale
var bestVerify = 0.0
var bestFloor = 0.0
var bestPrekeyed = 0.0
// The verifier keeps each key's HMAC state after the key block (as OpenSSL's HMAC_CTX reuse
// does); this row shows that cost alone, so the ratio is not flattered by that shortcut.
let prekeyed = HMAC<SHA256>(key: secret)
var tokenBytes = Array(token.utf8)
var bestC = cVerificationNanoseconds()
for _ in 0..<(scale > 1 ? 1 : 8) {
    bestFloor = max(bestFloor, rate(iterations) {
        signingInput.withUnsafeBytes { HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: $0, using: secret) }
    })
    bestPrekeyed = max(bestPrekeyed, rate(iterations) {
        signingInput.withUnsafeBytes { input in
            var state = prekeyed
            state.update(data: input)
            return state.finalize() == signature
        }
    })
    bestVerify = max(bestVerify, rate(iterations) {
        tokenBytes.withUnsafeBytes { bytes in
            if case .success = verifier.verify(bytes, keys: keys, now: now) { return true }
            return false
        }
    })
}

/// The C verifier's best ns per verification of `token` under `secret` (fails the bench if it cannot run).
@MainActor func cVerificationNanoseconds() -> Double {
    guard let path = ProcessInfo.processInfo.environment["PORTCULLIS_BENCH_C_VERIFIER"] else {
        fatalError("PORTCULLIS_BENCH_C_VERIFIER is not set: run the hmac suite through bench/run")
    }
    if path == "none" { return .nan }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    do { try process.run() } catch { fatalError("cannot run \(path): \(error)") }
    let hex = secret.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    input.fileHandleForWriting.write(Data("\(token)\n\(hex)\n".utf8))
    try? input.fileHandleForWriting.close()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0, let ns = text.split(separator: " ").first.flatMap({ Double($0) }) else {
        fatalError("the C verifier failed (status \(process.terminationStatus)): \(text)")
    }
    return ns
}

func row(_ figure: String, _ value: Double, _ unit: String, _ comparison: String, _ comparisonValue: Double, _ ratio: Double) {
    print([figure, String(format: "%.0f", value), unit, comparison, String(format: "%.0f", comparisonValue), String(format: "%.2f", ratio)]
        .joined(separator: "\t"))
}
bestC = min(bestC, cVerificationNanoseconds())
print("# token \(tokenBytes.count) bytes, signing input \(signingInput.count) bytes; ratio = floor rate / verify rate (target <= 2)")
row("hs256_verify", bestVerify, "verifications/s", "hmac_sha256_floor", bestFloor, bestFloor / bestVerify)
row("hs256_verify_ns", 1e9 / bestVerify, "ns/verification", "hmac_sha256_floor_ns", 1e9 / bestFloor, bestFloor / bestVerify)
row("hs256_verify", bestVerify, "verifications/s", "hmac_sha256_prekeyed", bestPrekeyed, bestPrekeyed / bestVerify)
// The target: full verification (signature and claims) within 2x of OpenSSL's in C, same token, same run.
row("hs256_verify_ns", 1e9 / bestVerify, "ns/verification", "openssl_c_verify_ns", bestC, (1e9 / bestVerify) / bestC)
