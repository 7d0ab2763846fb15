// bench-crypt: the crypt plugin's verification rate per scheme next to a bare libxcrypt crypt_rn
// call measured in the same run, and the median time of an unknown user next to a wrong password.
//
// Rows: figure<TAB>value<TAB>unit<TAB>comparison-figure<TAB>comparison-value<TAB>ratio
// Both sides of every row run interleaved, round by round, so drift on a noisy machine hits both.
import CLibxcrypt
import Crypto
import CryptPlugin
import Foundation
import PortcullisPluginKit

#if canImport(Glibc)
import Glibc
#endif

let password = "correct horse battery staple"

/// One verification the plain C way: a zeroed heap crypt_data per call (as the plugin does), crypt_rn,
/// compare with the stored hash.
func directCrypt(_ setting: String) -> Bool {
    let size = MemoryLayout<crypt_data>.size
    guard let data = calloc(1, size) else { return false }
    defer { free(data) }
    guard let output = crypt_rn(password, setting, data, Int32(size)) else { return false }
    return strcmp(output, setting) == 0
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func row(_ figure: String, _ value: Double, _ unit: String, _ comparison: String, _ comparisonValue: Double) {
    let format = { (value: Double) in value >= 100 ? String(format: "%.0f", value) : String(format: "%.2f", value) }
    print("\(figure)\t\(format(value))\t\(unit)\t\(comparison)\t\(format(comparisonValue))\t\(String(format: "%.3f", value / comparisonValue))")
}

/// A plugin instance over a one-user file with `hash`.
func makePlugin(lines: [String]) throws -> CryptPlugin {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-crypt-\(UUID().uuidString)").path
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
    let options = try PluginOptions([(name: "file", value: path)], table: CryptPlugin.options)
    return try CryptPlugin(options: options, host: .none)
}

/// Calls through the plugin's public entry point with a real pc_request, as the host's pool would.
func pluginVerifies(_ plugin: CryptPlugin, user: String, password: String, count: Int) -> Duration {
    PluginRequest.withTestRequest(credential: .basic(user, password)) { request in
        let start = ContinuousClock.now
        for _ in 0..<count {
            let outcome = plugin.check(request)
            if case .allow = outcome { continue }
            fatalError("expected allow, got \(outcome)")
        }
        return ContinuousClock.now - start
    }
}

func directVerifies(_ hash: String, count: Int, _ verify: (String) -> Bool) -> Duration {
    let start = ContinuousClock.now
    for _ in 0..<count { precondition(verify(hash), "direct verification failed") }
    return ContinuousClock.now - start
}

func hash(_ scheme: String, _ setting: String) -> String {
    guard let result = Libxcrypt.crypt(Array(password.utf8), setting: Array(setting.utf8)) else {
        fatalError("libxcrypt cannot hash with \(scheme)")
    }
    return String(decoding: result, as: UTF8.self)
}

func gensalt(_ prefix: String, _ count: UInt) -> String {
    guard let setting = Libxcrypt.gensalt(prefix: prefix, count: count) else { fatalError("no salt for \(prefix)") }
    return setting
}

// Costs as the tools make them by default: htpasswd -B (5), crypt(3)'s 5000 SHA rounds, yescrypt j9T.
let apacheMD5 = firstLine(try shell("htpasswd", ["-n", "-i", "-m", "u"], input: password)).dropFirst(2)
let apacheSHA1 = firstLine(try shell("htpasswd", ["-n", "-i", "-s", "u"], input: password)).dropFirst(2)
let schemes: [(name: String, stored: String, direct: String, directName: String)] = [
    ("yescrypt", hash("yescrypt", gensalt("$y$", 0)), "", "crypt_rn"),
    ("bcrypt", hash("bcrypt", gensalt("$2b$", 5)), "", "crypt_rn"),
    ("sha512crypt", hash("sha512crypt", gensalt("$6$", 0)), "", "crypt_rn"),
    ("sha256crypt", hash("sha256crypt", gensalt("$5$", 0)), "", "crypt_rn"),
    ("md5crypt", hash("md5crypt", gensalt("$1$", 0)), "", "crypt_rn"),
    // libxcrypt has no apr1: compare the hand-written code with libxcrypt's md5crypt (same algorithm).
    ("apr1", String(apacheMD5), hash("md5crypt", gensalt("$1$", 0)), "crypt_rn/md5crypt"),
]

let budget = 0.2  // seconds per side per round
let rounds = 7
for scheme in schemes {
    let plugin = try makePlugin(lines: ["u:\(scheme.stored)"])
    let directHash = scheme.direct.isEmpty ? scheme.stored : scheme.direct
    // Calibrate: how many calls fill the budget.
    let one = directVerifies(directHash, count: 3, directCrypt).seconds / 3
    let count = max(3, Int(budget / max(one, 1e-7)))
    var pluginRates: [Double] = []
    var directRates: [Double] = []
    for _ in 0..<rounds {
        pluginRates.append(Double(count) / pluginVerifies(plugin, user: "u", password: password, count: count).seconds)
        directRates.append(Double(count) / directVerifies(directHash, count: count, directCrypt).seconds)
    }
    row("plugin/\(scheme.name)", median(pluginRates), "verifications/s", scheme.directName.contains("/") ? scheme.directName : "\(scheme.directName)/\(scheme.name)", median(directRates))
}

// {SHA}: no libxcrypt counterpart; compare with one bare SHA-1 + base64 from swift-crypto.
do {
    let plugin = try makePlugin(lines: ["u:\(apacheSHA1)"])
    let count = 100_000
    var pluginRates: [Double] = []
    var directRates: [Double] = []
    for _ in 0..<rounds {
        pluginRates.append(Double(count) / pluginVerifies(plugin, user: "u", password: password, count: count).seconds)
        directRates.append(Double(count) / directVerifies(String(apacheSHA1), count: count) { $0.count > 0 && shaBase64(password) == $0 }.seconds)
    }
    row("plugin/sha1", median(pluginRates), "verifications/s", "sha1+base64", median(directRates))
}

// No user enumeration: a 50-user file of the tools' default scheme; unknown user vs wrong password,
// one call each in turn, median per-call time.
for (name, setting) in [("yescrypt", "$y$"), ("bcrypt", "$2b$")] {
    let lines = (0..<50).map { "user\($0):" + hash(name, gensalt(setting, name == "bcrypt" ? 5 : 0)) }
    let plugin = try makePlugin(lines: lines)
    var unknown: [Double] = []
    var wrong: [Double] = []
    for index in 0..<(name == "yescrypt" ? 100 : 200) {
        unknown.append(timeDeny(plugin, user: "nobody\(index)"))
        wrong.append(timeDeny(plugin, user: "user\(index % 50)"))
    }
    row("unknown-user-median/\(name)", median(unknown) * 1e6, "µs", "wrong-password-median/\(name)", median(wrong) * 1e6)
}

func timeDeny(_ plugin: CryptPlugin, user: String) -> Double {
    PluginRequest.withTestRequest(credential: .basic(user, "not the password")) { request in
        let start = ContinuousClock.now
        let outcome = plugin.check(request)
        let elapsed = (ContinuousClock.now - start).seconds
        guard case .deny(.invalidCredentials, _, _, _) = outcome else { fatalError("expected invalid_credentials") }
        return elapsed
    }
}

func shaBase64(_ text: String) -> String {
    // The same work as the plugin's {SHA} path minus file lookup: hash then base64.
    "{SHA}" + Base64.encode(Array(Insecure.SHA1.hash(data: Array(text.utf8))), alphabet: .standard, padding: .required)
}

func firstLine(_ text: String) -> String { String(text.split(separator: "\n").first ?? "") }

func shell(_ tool: String, _ arguments: [String], input: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/\(tool)")
    process.arguments = arguments
    let stdin = Pipe(), stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    try process.run()
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: output, as: UTF8.self)
}
