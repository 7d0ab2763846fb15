#if canImport(Glibc)
import Glibc
#endif

// Shared by every harness: how an invariant fails, and the "print" mode the differential
// drivers use (Tests/Fuzz/Differential). Compiled into each harness binary with its target.

/// Fails the run when an invariant does not hold: libFuzzer sees the abort as a crash and keeps
/// the input as `crash-…`, so every broken invariant is reproducible like a crash.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        // write(2), not stderr: the C global is shared mutable state to Swift 6.
        var line = Array("invariant failed: \(message())\n".utf8)
        _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
        abort()
    }
}

/// The input as text when it is valid UTF-8; parsers that take `String` are fed only those
/// (a way in decodes headers and files before they reach them).
func text(_ start: UnsafeRawPointer, _ count: Int) -> String? {
    String(validating: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
}

/// How many lines a TOML file has, for the "an error names a line of the file" invariants. On
/// bytes, not Characters: "\r\n" is one Character, which is not "\n", and TOML counts it as a break.
func lines(in text: String) -> Int {
    text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
}

func bytes(_ start: UnsafeRawPointer, _ count: Int) -> [UInt8] {
    Array(UnsafeRawBufferPointer(start: start, count: count))
}

/// Print mode: with `FUZZ_PRINT=1` the harness reads one case per line on stdin, writes one
/// verdict per line on stdout, and exits before libFuzzer starts. Lines are tab-separated
/// fields with `\t`, `\n` and `\\` escaped, so any bytes can cross.
func runPrintModeIfAsked(_ verdict: ([String]) -> String) {
    guard let flag = getenv("FUZZ_PRINT"), String(cString: flag) == "1" else { return }
    while let line = readLine(strippingNewline: true) {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map { unescape(String($0)) }
        // The verdict's own tabs separate its fields; only line breaks and backslashes are escaped.
        print(escape(verdict(fields), keepingTabs: true))
    }
    fflush(nil)
    exit(0)
}

func escape(_ text: String, keepingTabs: Bool = false) -> String {
    var output = ""
    for character in text.unicodeScalars {
        switch character {
        case "\\": output += "\\\\"
        case "\t" where !keepingTabs: output += "\\t"
        case "\n": output += "\\n"
        case "\r": output += "\\r"
        default: output.unicodeScalars.append(character)
        }
    }
    return output
}

func unescape(_ text: String) -> String {
    var output = ""
    var escaping = false
    for character in text.unicodeScalars {
        if escaping {
            switch character {
            case "t": output += "\t"
            case "n": output += "\n"
            case "r": output += "\r"
            case "0": output += "\u{0}"
            default: output.unicodeScalars.append(character)
            }
            escaping = false
        } else if character == "\\" {
            escaping = true
        } else {
            output.unicodeScalars.append(character)
        }
    }
    return output
}

/// Splits fuzz bytes into parts at `separator` (a byte the mutator learns to place).
func parts(_ bytes: [UInt8], separator: UInt8 = 0, limit: Int = 8) -> [[UInt8]] {
    Array(bytes.split(separator: separator, maxSplits: limit - 1, omittingEmptySubsequences: false).map(Array.init))
}
