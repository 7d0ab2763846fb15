import ArgumentParser
import Foundation
import Portcullis

/// `portcullis token revoke --jti ID (--ttl DURATION | --until TIME)`: revokes a token id on every
/// daemon sharing the running daemon's store, through its `[server] admin_socket` (the hmac plugin
/// honours it with `revoked_store = true`). The daemon logs it at notice level, with the jti; no
/// token is ever sent.
struct TokenRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a token id (jti) fleet-wide through a running daemon's shared store.",
        discussion: """
            The revocation lasts until --until or for --ttl: make it last until the token would expire anyway. \
            Exit status: 0 revoked, 2 the daemon could not be reached or refused.
            """)

    @OptionGroup var target: LockoutCommand.Target

    @Option(name: .long, help: "The token's jti claim.")
    var jti: String

    @Option(name: .long, help: "How long the revocation lasts: seconds, or a number with s, m, h or d (e.g. 12h).")
    var ttl: String?

    @Option(name: .long, help: "When the revocation ends: an ISO 8601 time (e.g. 2026-12-31T23:00:00Z).")
    var until: String?

    func validate() throws {
        guard (ttl == nil) != (until == nil) else { throw ValidationError("give --ttl or --until (one of them)") }
    }

    func run() throws {
        let seconds = try self.seconds(now: Date())
        let answer = try AdminClient.send(["command": "revoke", "jti": jti, "seconds": seconds], to: target.path())
        print("revoked\t\(LogText.escaped(jti))\t\(seconds)")
        AdminClient.warnIfLocalOnly(answer, doing: "only this daemon has the revocation until the store is back")
    }

    func seconds(now: Date) throws -> Int {
        if let ttl {
            guard let seconds = Self.duration(ttl) else { throw ValidationError("--ttl '\(ttl)' is not a duration like 3600, 90s, 15m, 12h or 30d") }
            return seconds
        }
        guard let until, let date = ISO8601DateFormatter().date(from: until) else {
            throw ValidationError("--until '\(until ?? "")' is not an ISO 8601 time like 2026-12-31T23:00:00Z")
        }
        let seconds = Int(date.timeIntervalSince(now).rounded(.up))
        guard seconds > 0 else { throw ValidationError("--until \(until) is in the past") }
        return seconds
    }

    /// `90`, `90s`, `15m`, `12h`, `30d` in seconds; nil for anything else (or 0).
    static func duration(_ text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text), unit = 1
        if let last = text.last, let multiplier = units[last] { digits = digits.dropLast(); unit = multiplier }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = Int(digits), number > 0 else { return nil }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: unit)
        return overflow ? nil : seconds
    }
}

/// `portcullis token revocations`: the token ids revoked in the running daemon's shared store.
struct TokenRevocationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revocations",
        abstract: "List the token ids revoked in a running daemon's shared store: jti, seconds left.",
        discussion: "Exit status: 0 listed, 2 the daemon could not be reached.")

    @OptionGroup var target: LockoutCommand.Target

    func run() throws {
        let answer = try AdminClient.send(["command": "revocations"], to: target.path())
        print("jti\tseconds")
        for row in answer["revocations"] as? [[String: Any]] ?? [] {
            print("\(LogText.escaped(row["jti"] as? String ?? "?"))\t\(row["seconds"] ?? 0)")
        }
        AdminClient.warnIfLocalOnly(answer, doing: "the list shows this daemon's revocations only")
    }
}
