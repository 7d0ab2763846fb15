import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// Every stack of 1 to 4 entries over every control × verdict (16 kinds per entry: 69 904
/// stacks), run through the real debug plugin and compared with a reference model written
/// line by line from Linux-PAM's `_pam_dispatch_aux` (libpam/pam_dispatch.c, 1.5) and the
/// control tables of `pam_handlers.c`.
final class DispatcherTruthTableTests: XCTestCase {
    // Linux-PAM return codes and actions, as in _pam_types.h / pam_private.h.
    static let PAM_SUCCESS = 0, PAM_SYSTEM_ERR = 4, PAM_PERM_DENIED = 6, PAM_AUTH_ERR = 7, PAM_IGNORE = 25
    static let PAM_MUST_FAIL_CODE = PAM_PERM_DENIED
    enum PamAction { case ok, done, bad, die, ignore, reset }

    /// pam_handlers.c: `required` = [success=ok new_authtok_reqd=ok ignore=ignore default=bad], …
    static func pamAction(control: String, retval: Int) -> PamAction {
        switch (control, retval) {
        case ("required", PAM_SUCCESS), ("requisite", PAM_SUCCESS), ("optional", PAM_SUCCESS): .ok
        case ("sufficient", PAM_SUCCESS): .done
        case ("required", PAM_IGNORE), ("requisite", PAM_IGNORE): .ignore
        case ("required", _): .bad
        case ("requisite", _): .die
        default: .ignore  // sufficient and optional: default=ignore
        }
    }

    struct Expected: Equatable {
        var allowed: Bool
        /// Index of the entry whose code became PAM's final status; nil for PAM_MUST_FAIL_CODE.
        var statusEntry: Int?
        var entriesRun: Int
        /// Entries whose failure the control ignored, in order (for the undecided reason).
        var ignoredFailures: [Int]
    }

    /// `_pam_dispatch_aux` for the four keywords, their actions from `pam_handlers.c`.
    static func reference(_ stack: [(control: String, retval: Int)]) -> Expected {
        reference(actions: stack.map { (pamAction(control: $0.control, retval: $0.retval), $0.retval) })
    }

    /// `_pam_dispatch_aux` on each entry's action, without the cached-chain, jump and
    /// PAM_INCOMPLETE branches that our controls never reach.
    static func reference(actions stack: [(action: PamAction, retval: Int)]) -> Expected {
        enum Impression { case undef, positive, negative }
        var impression = Impression.undef
        var status = PAM_MUST_FAIL_CODE
        var statusEntry: Int? = nil
        var ignored: [Int] = []
        var run = 0
        for (depth, entry) in stack.enumerated() {
            run += 1
            let retval = entry.retval
            let action = entry.action
            switch action {
            case .reset:
                impression = .undef
                status = PAM_MUST_FAIL_CODE
                statusEntry = nil
            case .ok, .done:
                // "in case of using cached chain we could get here with PAM_IGNORE - don't return it"
                if retval != PAM_IGNORE, impression == .undef || (impression == .positive && status == PAM_SUCCESS) {
                    impression = .positive
                    status = retval
                    statusEntry = depth
                }
                if impression == .positive && action == .done { return finish() }
            case .bad, .die:
                if impression != .negative {
                    impression = .negative
                    if retval == PAM_IGNORE { status = PAM_MUST_FAIL_CODE; statusEntry = nil } else { status = retval; statusEntry = depth }
                }
                if action == .die { return finish() }
            case .ignore:
                if retval != PAM_SUCCESS && retval != PAM_IGNORE { ignored.append(depth) }
            }
        }
        return finish()

        func finish() -> Expected {
            // The sanity check at decision_made.
            if status == PAM_SUCCESS && impression != .positive { status = PAM_MUST_FAIL_CODE; statusEntry = nil }
            return Expected(allowed: status == PAM_SUCCESS, statusEntry: statusEntry, entriesRun: run, ignoredFailures: ignored)
        }
    }

    static let controls = ["required", "requisite", "sufficient", "optional"]
    static let verdicts = ["allow", "deny", "ignore", "error"]
    /// A distinct deny reason per position, so the test sees whose reason was kept.
    static let denyReasons: [ReasonCode] = [.invalidCredentials, .ipNotAllowed, .expiredCredentials, .csrfFailed]
    static let errorReasons: [ReasonCode] = [.pluginError, .backendUnavailable, .pluginError, .backendUnavailable]

    func testEveryStackOfOneToFourEntriesMatchesLinuxPAM() throws {
        let library = try PluginLoader.load(name: "debug", directory: TestSupport.binDirectory)
        // instances[verdict][position]: the real plugin, scripted.
        var instances: [[PluginInstance]] = []
        for verdict in Self.verdicts {
            var row: [PluginInstance] = []
            for position in 0..<4 {
                var arguments = [(name: "result", value: verdict)]
                if verdict == "allow" { arguments.append(("principal", "user\(position)")) }
                if verdict == "deny" { arguments.append(("reason", Self.denyReasons[position].code)) }
                if verdict == "error" { arguments.append(("reason", Self.errorReasons[position].code)) }
                row.append(try PluginInstance(library: library, arguments: arguments, logger: .init(label: "test")))
            }
            instances.append(row)
        }
        let retvals = ["allow": Self.PAM_SUCCESS, "deny": Self.PAM_AUTH_ERR, "ignore": Self.PAM_IGNORE, "error": Self.PAM_SYSTEM_ERR]
        let request = PreparedRequest(AuthRequest(peer: IPAddress("192.0.2.1")), resolver: ClientAddressResolver())

        var checked = 0
        for length in 1...4 {
            let kinds = Self.controls.count * Self.verdicts.count
            for combination in 0..<Int(pow(Double(kinds), Double(length))) {
                var code = combination
                var entries: [Stack.Entry] = []
                var model: [(control: String, retval: Int)] = []
                var description: [String] = []
                for position in 0..<length {
                    let control = Self.controls[code % 4]
                    let verdict = Self.verdicts[code / 4 % 4]
                    code /= kinds
                    entries.append(Stack.Entry(instance: instances[Self.verdicts.firstIndex(of: verdict)!][position], control: try Control(parsing: control)))
                    model.append((control, retvals[verdict]!))
                    description.append("\(control) \(verdict)")
                }
                let expected = Self.reference(model)
                let outcome = Stack(name: "t", entries: entries).evaluate(request)
                Self.compare(outcome, expected, label: description.joined(separator: ", "))
                checked += 1
            }
        }
        XCTAssertEqual(checked, 16 + 256 + 4096 + 65536)
    }

    /// What the stack did against what Linux-PAM does. Every allow carries a principal here, so
    /// the HTTP rule (an allow needs a principal) never changes PAM's answer.
    static func compare(_ outcome: Outcome, _ expected: Expected, label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(outcome.decision == .allow, expected.allowed, label, file: file, line: line)
        XCTAssertEqual(outcome.trace.count, expected.entriesRun, "entries run: \(label)", file: file, line: line)
        XCTAssertEqual(outcome.decidedBy, expected.statusEntry, "decided by: \(label)", file: file, line: line)
        if expected.allowed {
            // The first allow that counted (since the last reset) names the principal.
            XCTAssertNotNil(outcome.principal, label, file: file, line: line)
            XCTAssertNil(outcome.reason, label, file: file, line: line)
        } else if let entry = expected.statusEntry {
            // The first failure's reason is kept.
            let verdict = outcome.trace[entry].verdict
            let reason = verdict == "deny" ? denyReasons[entry] : errorReasons[entry]
            XCTAssertEqual(outcome.reason, reason, "reason: \(label)", file: file, line: line)
        } else {
            // PAM_MUST_FAIL_CODE: nobody decided. Portcullis names the best-ranked ignored failure
            // (Stack.undecidedReason, docs/reasons.md), the first of equals.
            let ignored = expected.ignoredFailures.map { outcome.trace[$0].verdict == "deny" ? denyReasons[$0] : errorReasons[$0] }
            let reason = ignored.enumerated().min { ($0.element.undecidedRank, $0.offset) < ($1.element.undecidedRank, $1.offset) }?.element
            XCTAssertEqual(outcome.reason, reason ?? .missingCredentials, "undecided reason: \(label)", file: file, line: line)
        }
    }

    /// Bracket tables, `reset` among their actions: every stack of 1 to 3 entries over 6 tables × 4
    /// verdicts (24 kinds per entry: 14 424 stacks) against the same model, fed the table's action.
    func testBracketStacksWithResetMatchLinuxPAM() throws {
        let library = try PluginLoader.load(name: "debug", directory: TestSupport.binDirectory)
        let tables = try [
            "[allow=reset default=bad]", "[allow=ok deny=reset default=ignore]", "[allow=done deny=die ignore=reset error=bad]",
            "[allow=ignore default=die]", "[deny=ok default=done]", "[default=reset]",
        ].map(Control.init(parsing:))
        var instances: [[PluginInstance]] = []
        for verdict in Self.verdicts {
            instances.append(try (0..<3).map { position in
                var arguments = [(name: "result", value: verdict)]
                if verdict == "allow" { arguments.append(("principal", "user\(position)")) }
                if verdict == "deny" { arguments.append(("reason", Self.denyReasons[position].code)) }
                if verdict == "error" { arguments.append(("reason", Self.errorReasons[position].code)) }
                return try PluginInstance(library: library, arguments: arguments, logger: .init(label: "test"))
            })
        }
        let retvals = ["allow": Self.PAM_SUCCESS, "deny": Self.PAM_AUTH_ERR, "ignore": Self.PAM_IGNORE, "error": Self.PAM_SYSTEM_ERR]
        let pamActions: [Action: PamAction] = [.ok: .ok, .done: .done, .bad: .bad, .die: .die, .ignore: .ignore, .reset: .reset]
        let request = PreparedRequest(AuthRequest(peer: IPAddress("192.0.2.1")), resolver: ClientAddressResolver())
        var checked = 0
        for length in 1...3 {
            let kinds = tables.count * Self.verdicts.count
            for combination in 0..<Int(pow(Double(kinds), Double(length))) {
                var code = combination
                var entries: [Stack.Entry] = []
                var model: [(action: PamAction, retval: Int)] = []
                var description: [String] = []
                for position in 0..<length {
                    let table = tables[code % tables.count]
                    let verdictIndex = code / tables.count % Self.verdicts.count
                    code /= kinds
                    let verdict = [Verdict.allow, .deny, .ignore, .error][verdictIndex]
                    entries.append(Stack.Entry(instance: instances[verdictIndex][position], control: table))
                    model.append((try XCTUnwrap(pamActions[table.action(for: verdict)]), try XCTUnwrap(retvals[Self.verdicts[verdictIndex]])))
                    description.append("\(table) \(Self.verdicts[verdictIndex])")
                }
                let outcome = Stack(name: "t", entries: entries).evaluate(request)
                Self.compare(outcome, Self.reference(actions: model), label: description.joined(separator: ", "))
                checked += 1
            }
        }
        XCTAssertEqual(checked, 24 + 576 + 13_824)
    }

    /// Spot checks written out by hand, so a reader can see the semantics without the model.
    func testHandWrittenCases() throws {
        func decide(_ lines: [(String, String)]) throws -> Outcome {
            var toml = ""
            for (control, verdict) in lines {
                toml += "[[stack.default]]\nplugin = \"debug\"\ncontrol = \"\(control)\"\nresult = \"\(verdict)\"\n"
                if verdict == "deny" { toml += "reason = \"invalid_credentials\"\n" }
                if verdict == "error" { toml += "reason = \"backend_unavailable\"\n" }
                if verdict == "allow" { toml += "principal = \"p\"\n" }
            }
            return try TestSupport.gatekeeper(toml).evaluate(AuthRequest(peer: IPAddress("192.0.2.1")))
        }
        // sufficient success stops the stack, unless a required entry already failed.
        XCTAssertEqual(try decide([("sufficient", "allow"), ("required", "deny")]).decision, .allow)
        XCTAssertEqual(try decide([("required", "deny"), ("sufficient", "allow"), ("required", "allow")]).decision, .deny)
        XCTAssertEqual(try decide([("required", "deny"), ("sufficient", "allow"), ("required", "allow")]).trace.count, 3)
        // requisite failure stops at once; required failure runs the rest but still denies.
        XCTAssertEqual(try decide([("requisite", "deny"), ("required", "allow")]).trace.count, 1)
        XCTAssertEqual(try decide([("required", "deny"), ("required", "allow")]).trace.count, 2)
        // optional and ignore results do not count; a stack with no positive result denies.
        XCTAssertEqual(try decide([("optional", "deny"), ("required", "allow")]).decision, .allow)
        XCTAssertEqual(try decide([("required", "ignore")]).decision, .deny)
        XCTAssertEqual(try decide([("optional", "allow")]).decision, .allow)
        // error is a deny, never an allow, keeping backend_unavailable when the plugin said so.
        let error = try decide([("required", "error"), ("sufficient", "allow")])
        XCTAssertEqual(error.decision, .deny)
        XCTAssertEqual(error.reason, .backendUnavailable)
        XCTAssertEqual(error.status, 503)
        XCTAssertEqual(try decide([("sufficient", "error"), ("required", "allow")]).decision, .allow)
    }

    /// An out-of-range verdict or reason from a plugin is a failure under any control (as
    /// Linux-PAM treats an out-of-range return code), reported as plugin_error.
    func testOutOfRangeVerdictIsABadFailureEvenWhenSufficient() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.compilePlugin(source: """
            #include "portcullis_plugin.h"
            #include <string.h>
            static int create(const pc_host *h, const pc_pair *a, size_t n, void **i, char *e, size_t s) {
                (void)h; (void)e; (void)s;
                *i = (void *)1;
                if (n == 1 && a[0].value.length == 6 && memcmp(a[0].value.data, "reason", 6) == 0) *i = (void *)2;
                if (n == 1 && a[0].value.length == 5 && memcmp(a[0].value.data, "allow", 5) == 0) *i = (void *)3;
                return 0;
            }
            static void check(void *i, const pc_request *r, pc_result *out) {
                (void)r;
                if (i == (void *)2) { out->verdict = PC_VERDICT_DENY; out->reason = 99; }
                else if (i == (void *)3) { out->verdict = PC_VERDICT_ALLOW; out->reason = 99; }
                else { out->verdict = 7; }
            }
            static void release(void *i, pc_result *r) { (void)i; (void)r; }
            static void destroy(void *i) { (void)i; }
            static const pc_plugin_descriptor descriptor = {
                .abi_major = PORTCULLIS_ABI_MAJOR, .descriptor_size = sizeof(pc_plugin_descriptor), .name = "rogue",
                .version = "0", .create = create, .check = check, .release = release, .destroy = destroy,
            };
            const pc_plugin_descriptor *portcullis_plugin_v1(void) { return &descriptor; }
            """, to: directory + "/libportcullis-rogue.so")
        let gatekeeper = try TestSupport.gatekeeper("""
            plugin_dir = "\(directory)"
            [[stack.default]]
            plugin = "rogue"
            control = "sufficient"
            mode = "verdict"
            [[stack.default]]
            plugin = "rogue"
            control = "optional"
            mode = "verdict"

            [[stack.reason]]
            plugin = "rogue"
            control = "required"
            mode = "reason"

            [[stack.allowreason]]
            plugin = "rogue"
            control = "sufficient"
            mode = "allow"
            """)
        let outcome = gatekeeper.evaluate(AuthRequest(peer: IPAddress("192.0.2.1")))
        XCTAssertEqual(outcome.decision, .deny)
        XCTAssertEqual(outcome.reason, .pluginError)
        XCTAssertEqual(outcome.status, 500)
        XCTAssertEqual(outcome.trace.map(\.verdict), ["invalid(7)", "invalid(7)"])
        XCTAssertEqual(outcome.trace.map(\.action), ["bad", "bad"])

        let badReason = gatekeeper.evaluate(AuthRequest(peer: IPAddress("192.0.2.1")), stack: "reason")
        XCTAssertEqual(badReason.decision, .deny)
        XCTAssertEqual(badReason.reason, .pluginError)

        // An allow carrying a reason outside the list is not an allow.
        let allowWithBadReason = gatekeeper.evaluate(AuthRequest(peer: IPAddress("192.0.2.1")), stack: "allowreason")
        XCTAssertEqual(allowWithBadReason.decision, .deny)
        XCTAssertEqual(allowWithBadReason.reason, .pluginError)
        XCTAssertEqual(allowWithBadReason.trace.map(\.verdict), ["invalid(reason 99)"])
    }

    func testBracketControls() throws {
        XCTAssertEqual(try Control(parsing: "[allow=done deny=die]"), Control(allow: .done, deny: .die, ignore: .bad, error: .bad, description: "[allow=done deny=die]"))
        XCTAssertEqual(try Control(parsing: "[allow=ok default=ignore]").deny, .ignore)
        XCTAssertThrowsError(try Control(parsing: "[allow=maybe]"))
        XCTAssertThrowsError(try Control(parsing: "[success=ok]"))
        XCTAssertThrowsError(try Control(parsing: "mandatory"))
        // The keywords are exactly their tables.
        XCTAssertEqual(try Control(parsing: "[allow=ok deny=bad ignore=ignore error=bad]").action(for: .error), Control.required.action(for: .error))
    }

    /// Linux-PAM compares the keywords with strcasecmp (`pam_handlers.c`): so do we, and the
    /// bracket form's verdicts and actions too. ASCII only: the Kelvin sign is no `k`.
    func testControlsIgnoreASCIICase() throws {
        XCTAssertEqual(try Control(parsing: "Required"), .required)
        XCTAssertEqual(try Control(parsing: "REQUISITE"), .requisite)
        XCTAssertEqual(try Control(parsing: "Sufficient"), .sufficient)
        XCTAssertEqual(try Control(parsing: "oPtIoNaL"), .optional)
        let table = try Control(parsing: "[Allow=DONE deny=Die DEFAULT=ignore]")
        XCTAssertEqual([table.allow, table.deny, table.ignore, table.error], [.done, .die, .ignore, .ignore])
        XCTAssertEqual(table.description, "[Allow=DONE deny=Die DEFAULT=ignore]", "kept as the configuration spelled it")
        XCTAssertThrowsError(try Control(parsing: "[allow=o\u{212A}]"))
        XCTAssertThrowsError(try Control(parsing: "requ\u{0130}red"))
        XCTAssertThrowsError(try Control(parsing: "[ALLOW=maybe]"))
    }
}
