import Foundation
import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// No stack lets a request in without credentials unless it says so (issue 10, design note 3a):
/// credential plugins deny a missing credential, an allow needs a principal or an entry marked
/// `anonymous = true`, and the reason reported is about the credential that was sent. Real
/// plugins through the real loader, a real bcrypt file made by htpasswd, real HMAC keys.
final class SafeStackTests: XCTestCase {
    var directory = ""
    let basicChallenge = #"Basic realm="Restricted", charset="UTF-8""#
    let bearerChallenge = #"Bearer realm="portcullis""#

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
        let hashed = try TestSupport.run("/usr/bin/env", ["htpasswd", "-nbB", "-C", "5", "alice", "secret"])
        XCTAssertEqual(hashed.status, 0, hashed.stderr)
        try TestSupport.write(hashed.stdout, to: directory + "/users")
        let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        try TestSupport.write(#"{"keys": [{"kty": "oct", "kid": "k1", "alg": "HS256", "k": "\#(key)"}]}"#, to: directory + "/keys.jwks")
    }

    func gatekeeper(_ entries: String) throws -> Gatekeeper {
        try TestSupport.gatekeeper("[proxy]\ntrusted = [\"127.0.0.1\"]\n" + entries)
    }

    var iplist: String { "[[stack.default]]\nplugin = \"iplist\"\nallow = [\"127.0.0.0/8\"]\n" }
    var crypt: String { "[[stack.default]]\nplugin = \"crypt\"\nfile = \"\(directory)/users\"\n" }
    var hmac: String { "[[stack.default]]\nplugin = \"hmac\"\nkeys = \"\(directory)/keys.jwks\"\n" }

    func request(_ authorization: String? = nil, peer: String = "127.0.0.1") -> AuthRequest {
        AuthRequest(headers: authorization.map { [("Authorization", $0)] } ?? [], peer: IPAddress(peer))
    }

    /// The three stacks of the issue: each used to answer 200 to a request without credentials.
    func testNaturalStacksDenyARequestWithoutCredentials() throws {
        let stacks = [
            ("requisite iplist + required crypt", iplist + "control = \"requisite\"\n" + crypt + "control = \"required\"\n", [basicChallenge]),
            ("required crypt + required hmac", crypt + "control = \"required\"\n" + hmac + "control = \"required\"\n", [basicChallenge, bearerChallenge]),
            ("requisite iplist + sufficient crypt", iplist + "control = \"requisite\"\n" + crypt + "control = \"sufficient\"\n", [basicChallenge]),
        ]
        for (name, toml, challenges) in stacks {
            let keeper = try gatekeeper(toml)
            let outcome = keeper.evaluate(request())
            XCTAssertEqual(outcome.decision, .deny, name)
            XCTAssertEqual(outcome.reason, .missingCredentials, name)
            XCTAssertEqual(outcome.status, 401, name)
            XCTAssertEqual(outcome.challenges, challenges, name)
            XCTAssertEqual(keeper.response(for: outcome).headers.first { $0.name == "WWW-Authenticate" }?.value,
                           challenges.joined(separator: ", "), name)
        }
        // And the password still works where one is enough.
        let gate = try gatekeeper(iplist + "control = \"requisite\"\n" + crypt + "control = \"required\"\n")
        XCTAssertEqual(gate.evaluate(request(.basic("alice", "secret"))).principal, "alice")
        XCTAssertEqual(gate.evaluate(request(.basic("alice", "wrong"))).reason, .invalidCredentials)
        XCTAssertEqual(gate.evaluate(request(.basic("alice", "secret"), peer: "192.0.2.1")).reason, .ipNotAllowed)
    }

    func testOnlyAnotherSchemeIsUnsupportedScheme() throws {
        let keeper = try gatekeeper(iplist + "control = \"requisite\"\n" + crypt + "control = \"required\"\n")
        let outcome = keeper.evaluate(request("Bearer abc.def.ghi"))
        XCTAssertEqual(outcome.reason, .unsupportedScheme)
        XCTAssertEqual(outcome.status, 401)
        XCTAssertEqual(outcome.trace.last?.verdict, "deny")
    }

    /// A listed network gets in without a password only through an entry that says so.
    func testAnonymousEntryLetsTheListedNetworkInAndAsksEveryoneElse() throws {
        let stack = iplist + "control = \"sufficient\"\n%@" + crypt + "control = \"required\"\n"
        let anonymous = try gatekeeper(stack.replacingOccurrences(of: "%@", with: "anonymous = true\n"))
        let inside = anonymous.evaluate(request())
        XCTAssertEqual(inside.decision, .allow)
        XCTAssertNil(inside.principal)
        let outside = anonymous.evaluate(request(peer: "192.0.2.1"))
        XCTAssertEqual(outside.reason, .missingCredentials)
        XCTAssertEqual(outside.status, 401)
        XCTAssertEqual(outside.challenges, [basicChallenge])
        XCTAssertEqual(anonymous.evaluate(request(.basic("alice", "secret"), peer: "192.0.2.1")).principal, "alice")

        let named = try gatekeeper(stack.replacingOccurrences(of: "%@", with: ""))
        let denied = named.evaluate(request())
        XCTAssertEqual(denied.decision, .deny)
        XCTAssertEqual(denied.reason, .missingCredentials)
        // The sufficient iplist ended the stack before crypt ran: a password could not help, so 403.
        XCTAssertEqual(denied.status, 403)
        XCTAssertTrue(denied.note?.contains("no entry established a principal") == true, denied.note ?? "")
        XCTAssertNil(denied.decidedBy)
    }

    /// A plugin that allows without naming anyone (a C plugin, or an address check) grants nothing.
    func testAnAllowWithoutAPrincipalIsADenyUnlessAnonymous() throws {
        let bare = try TestSupport.gatekeeper("[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\nresult = \"allow\"\n")
        let outcome = bare.evaluate(request())
        XCTAssertEqual(outcome.decision, .deny)
        XCTAssertEqual(outcome.reason, .missingCredentials)
        XCTAssertEqual(outcome.status, 403, "no entry offered a challenge: credentials cannot help")
        let marked = try TestSupport.gatekeeper("[[stack.default]]\nplugin = \"debug\"\ncontrol = \"required\"\nresult = \"allow\"\nanonymous = true\n")
        XCTAssertEqual(marked.evaluate(request()).decision, .allow, "anonymous is the host's key: the debug plugin never sees it")
    }

    func testStackThatCanNeverEstablishAPrincipalIsWarnedAbout() throws {
        let addressOnly = try gatekeeper(iplist + "control = \"required\"\n")
        XCTAssertEqual(addressOnly.warnings.count, 1)
        XCTAssertTrue(addressOnly.warnings[0].hasPrefix("stack.default: no entry reads a credential and none is marked anonymous = true"),
                      addressOnly.warnings[0])
        XCTAssertEqual(try gatekeeper(iplist + "control = \"required\"\nanonymous = true\n").warnings, [])
        XCTAssertEqual(try gatekeeper(iplist + "control = \"requisite\"\n" + crypt + "control = \"required\"\n").warnings, [],
                       "plain requisite is safe now: no warning, no idiom")
    }

    func testAnonymousMustBeABoolean() throws {
        XCTAssertThrowsError(try gatekeeper(iplist + "control = \"required\"\nanonymous = \"yes\"\n")) { error in
            XCTAssertEqual("\(error)", "test.toml:7: stack.default[0].anonymous: must be true or false")
        }
    }

    /// Of failures that did not count, the one about the credential that was sent is reported.
    func testReasonPrefersThePresentedCredential() throws {
        let keeper = try gatekeeper(hmac + "control = \"sufficient\"\n" + crypt + "control = \"sufficient\"\n")
        let wrong = keeper.evaluate(request(.basic("alice", "wrong")))
        XCTAssertEqual(wrong.reason, .invalidCredentials, "not hmac's unsupported_scheme")
        XCTAssertEqual(wrong.trace.map(\.reason), ["unsupported_scheme", "invalid_credentials"])
        XCTAssertEqual(keeper.evaluate(request()).reason, .missingCredentials)
        XCTAssertEqual(keeper.evaluate(request("Digest x=1")).reason, .unsupportedScheme)
        XCTAssertEqual(keeper.evaluate(request("Bearer not-a-jwt")).reason, .malformedCredentials)
        XCTAssertEqual(keeper.evaluate(request(.basic("alice", "secret"))).principal, "alice")
    }

    func testRankOfUndecidedReasons() {
        let sent = Credential.none
        XCTAssertEqual(Stack.undecidedReason(sent, challenges: ["Basic"], ignored: [.missingCredentials, .unsupportedScheme, .expiredCredentials]).0, .expiredCredentials)
        XCTAssertEqual(Stack.undecidedReason(sent, challenges: ["Basic"], ignored: [.ipNotAllowed]).0, .missingCredentials, "credentials could help")
        XCTAssertEqual(Stack.undecidedReason(sent, challenges: [], ignored: [.ipNotAllowed]).0, .ipNotAllowed)
        XCTAssertEqual(Stack.undecidedReason(sent, challenges: [], ignored: []).0, .missingCredentials)
    }
}
