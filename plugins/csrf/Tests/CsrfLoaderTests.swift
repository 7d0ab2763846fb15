import Foundation
import Portcullis
import PortcullisTestSupport
import Synchronization
import XCTest

/// The real `libportcullis-csrf.so` through the real host (configuration reader, loader,
/// Authorization parser, dispatcher, HTTP mapping): one test per line of the README's decision
/// table, each asserting the decision, the reason and which header the detail blames.
final class CsrfLoaderTests: XCTestCase {
    static let intranet = "https://intranet.example.com"
    static let attacker = "https://evil.example.net"
    static let cookie = ("Cookie", "session=abc")

    /// The csrf gate first, then a credential entry that always names alice: whatever the csrf
    /// entry refuses is refused, whatever it passes gets in as alice.
    private func gatekeeper(_ arguments: String = "", origins: String = #"["https://intranet.example.com"]"#) throws -> Gatekeeper {
        try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "csrf"
            control = "requisite"
            origins = \(origins)
            \(arguments)

            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "alice"
            """)
    }

    private func evaluate(_ gatekeeper: Gatekeeper, _ method: String, path: String = "/transfer", _ headers: [(String, String)]) -> Outcome {
        gatekeeper.evaluate(AuthRequest(method: method, path: path, host: "intranet.example.com", headers: headers, peer: IPAddress("192.0.2.7")))
    }

    /// A POST, the usual forged request.
    private func evaluate(_ gatekeeper: Gatekeeper, path: String = "/transfer", _ headers: [(String, String)]) -> Outcome {
        evaluate(gatekeeper, "POST", path: path, headers)
    }

    private func assertPasses(
        _ outcome: Outcome, _ detail: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(outcome.decision, .allow, "\(outcome.trace)", file: file, line: line)
        XCTAssertEqual(outcome.principal, "alice", file: file, line: line)
        XCTAssertEqual(outcome.trace.first?.plugin, "csrf", file: file, line: line)
        XCTAssertEqual(outcome.trace.first?.verdict, "allow", file: file, line: line)
        XCTAssertEqual(outcome.trace.first?.detail, detail, file: file, line: line)
    }

    private func assertRefused(
        _ outcome: Outcome, _ detail: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(outcome.decision, .deny, "\(outcome.trace)", file: file, line: line)
        XCTAssertEqual(outcome.reason, .csrfFailed, file: file, line: line)
        XCTAssertEqual(outcome.status, 403, file: file, line: line)
        XCTAssertEqual(outcome.challenges, [], "credentials cannot help: no challenge", file: file, line: line)
        XCTAssertEqual(outcome.trace.count, 1, "requisite: nothing after the refusal runs", file: file, line: line)
        XCTAssertEqual(outcome.trace.first?.detail, detail, file: file, line: line)
    }

    // MARK: - Loading

    func testLoadsAsAnInlineNonCacheableAccessCheck() throws {
        let library = try XCTUnwrap(try gatekeeper().plugins.first { $0.name == "csrf" })
        XCTAssertTrue(library.path.hasSuffix("/libportcullis-csrf.so"), library.path)
        XCTAssertFalse(library.isBlocking)
        XCTAssertFalse(library.isCacheable)
        XCTAssertTrue(library.consumes.isEmpty)
    }

    /// A pass vouches that the request was not forged, never for who sent it.
    func testAPassAloneGrantsNothing() throws {
        let gatekeeper = try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "csrf"
            control = "required"
            origins = ["https://intranet.example.com"]
            """)
        let outcome = evaluate(gatekeeper, [("Sec-Fetch-Site", "same-origin"), Self.cookie])
        XCTAssertEqual(outcome.trace.first?.verdict, "allow")
        XCTAssertEqual(outcome.decision, .deny)
        XCTAssertNil(outcome.principal)
    }

    // MARK: - Line 1: safe methods

    func testSafeMethodsPassEvenCrossSite() throws {
        let gatekeeper = try gatekeeper()
        for method in ["GET", "HEAD", "OPTIONS"] {
            let outcome = evaluate(gatekeeper, method, [("Sec-Fetch-Site", "cross-site"), ("Origin", Self.attacker), Self.cookie])
            assertPasses(outcome, "safe method \(method)")
        }
    }

    /// Methods are case-sensitive (RFC 9110 §9.1); TRACE gains nothing from passing unchecked.
    func testEveryOtherMethodIsChecked() throws {
        let gatekeeper = try gatekeeper()
        for method in ["POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT", "PROPFIND", "get", "Get", "post", ""] {
            let outcome = evaluate(gatekeeper, method, [("Sec-Fetch-Site", "cross-site"), ("Origin", Self.attacker), Self.cookie])
            let shown = method.isEmpty ? "(empty method)" : method
            assertRefused(outcome, "\(shown) with a Cookie: Sec-Fetch-Site cross-site, Origin \(Self.attacker) not in origins")
        }
    }

    func testAnOverrideNamingAnUnsafeMethodIsTheMethodThatCounts() throws {
        let gatekeeper = try gatekeeper()
        let crossSite = [("Sec-Fetch-Site", "cross-site"), ("Origin", Self.attacker), Self.cookie]
        for header in ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", "x-http-method-override"] {
            let outcome = evaluate(gatekeeper, "GET", crossSite + [(header, "DELETE")])
            let canonical = ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"].first { $0.lowercased() == header.lowercased() } ?? header
            assertRefused(outcome, "GET overridden to DELETE (\(canonical)) with a Cookie: Sec-Fetch-Site cross-site, Origin \(Self.attacker) not in origins")
        }
        assertRefused(
            evaluate(gatekeeper, "GET", path: "/items/7?_method=DELETE", crossSite),
            "GET overridden to DELETE (_method query parameter) with a Cookie: Sec-Fetch-Site cross-site, Origin \(Self.attacker) not in origins")
        assertRefused(
            evaluate(gatekeeper, "HEAD", crossSite + [("X-HTTP-Method-Override", "delete")]),
            "HEAD overridden to delete (X-HTTP-Method-Override) with a Cookie: Sec-Fetch-Site cross-site, Origin \(Self.attacker) not in origins")
        // Overrides that disagree cannot be trusted to say which method the application uses.
        assertRefused(
            evaluate(gatekeeper, "GET", crossSite + [("X-HTTP-Method-Override", "GET"), ("X-HTTP-Method", "HEAD")]),
            "GET with method overrides that disagree (X-HTTP-Method-Override: GET, X-HTTP-Method: HEAD) with a Cookie: Sec-Fetch-Site cross-site, Origin \(Self.attacker) not in origins")
        // An override never makes an unsafe method safe.
        assertRefused(
            evaluate(gatekeeper, "POST", crossSite + [("X-HTTP-Method-Override", "GET")]),
            "POST with a Cookie: Sec-Fetch-Site cross-site, Origin \(Self.attacker) not in origins")
        // A safe override of a safe method changes nothing.
        assertPasses(evaluate(gatekeeper, "GET", crossSite + [("X-HTTP-Method-Override", "HEAD")]), "safe method GET")
    }

    // MARK: - Line 2: ambient credentials

    func testARequestWithoutAmbientCredentialsPasses() throws {
        let gatekeeper = try gatekeeper()
        let crossSite = [("Sec-Fetch-Site", "cross-site"), ("Origin", Self.attacker)]
        for extra in [[("Authorization", "Bearer eyJhbGciOi.x.y")], [("X-API-Key", "k-123")], []] {
            assertPasses(evaluate(gatekeeper, crossSite + extra), "POST without ambient credentials (no Cookie, no Basic)")
        }
    }

    func testCookiesAndBrowserManagedAuthorizationAreAmbient() throws {
        let gatekeeper = try gatekeeper()
        let crossSite = [("Sec-Fetch-Site", "cross-site"), ("Origin", Self.attacker)]
        let cases: [([(String, String)], String)] = [
            ([Self.cookie], "a Cookie"),
            ([("Cookie", "")], "a Cookie"),
            ([("Cookie", "a=1"), ("Authorization", "Bearer tok")], "a Cookie"),
            ([("Authorization", String.basic("alice", "secret"))], "Basic credentials"),
            ([("Authorization", "Digest username=\"alice\", response=\"x\"")], "Digest credentials"),
            ([("Authorization", "Negotiate YIIx")], "Negotiate credentials"),
            ([("Authorization", "NTLM TlRMTVNTUAAB")], "NTLM credentials"),
            ([("Authorization", "Basic not-base64!")], "an unparsable Authorization"),
        ]
        for (headers, credential) in cases {
            let outcome = evaluate(gatekeeper, crossSite + headers)
            assertRefused(outcome, "POST with \(credential): Sec-Fetch-Site cross-site, Origin \(Self.attacker) not in origins")
            XCTAssertFalse(outcome.trace.first?.detail?.contains("secret") ?? true, "no credential in the detail")
        }
    }

    func testAmbientAlwaysChecksEveryUnsafeRequest() throws {
        let gatekeeper = try gatekeeper(#"ambient = "always""#)
        assertRefused(
            evaluate(gatekeeper, [("Sec-Fetch-Site", "cross-site"), ("Origin", Self.attacker), ("Authorization", "Bearer tok")]),
            "POST with ambient = always: Sec-Fetch-Site cross-site, Origin \(Self.attacker) not in origins")
        assertPasses(evaluate(gatekeeper, [("Sec-Fetch-Site", "same-origin")]), "POST with ambient = always: Sec-Fetch-Site same-origin")
    }

    // MARK: - Line 3: Sec-Fetch-Site

    func testSameOriginPasses() throws {
        assertPasses(evaluate(try gatekeeper(), [("Sec-Fetch-Site", "same-origin"), Self.cookie]), "POST with a Cookie: Sec-Fetch-Site same-origin")
    }

    func testNonePassesUnlessAllowNoneIsFalse() throws {
        assertPasses(evaluate(try gatekeeper(), [("Sec-Fetch-Site", "none"), Self.cookie]), "POST with a Cookie: Sec-Fetch-Site none (the user's own navigation)")
        assertRefused(
            evaluate(try gatekeeper("allow_none = false"), [("Sec-Fetch-Site", "none"), Self.cookie]),
            "POST with a Cookie: Sec-Fetch-Site none refused (allow_none = false)")
    }

    func testSameSiteSubdomainIsRefusedUnlessAllowed() throws {
        let sibling = [("Sec-Fetch-Site", "same-site"), ("Origin", "https://blog.example.com"), Self.cookie]
        assertRefused(
            evaluate(try gatekeeper(), sibling),
            "POST with a Cookie: Sec-Fetch-Site same-site, Origin https://blog.example.com not in origins (allow_same_site = false)")
        assertPasses(evaluate(try gatekeeper("allow_same_site = true"), sibling), "POST with a Cookie: Sec-Fetch-Site same-site (allow_same_site = true)")
        // A listed origin is trusted however it relates to the application.
        assertPasses(
            evaluate(try gatekeeper(origins: #"["https://blog.example.com"]"#), sibling),
            "POST with a Cookie: Sec-Fetch-Site same-site, Origin https://blog.example.com in origins")
    }

    func testCrossSitePassesOnlyFromAListedOrigin() throws {
        let gatekeeper = try gatekeeper()
        assertRefused(
            evaluate(gatekeeper, [("Sec-Fetch-Site", "cross-site"), ("Origin", Self.attacker), Self.cookie]),
            "POST with a Cookie: Sec-Fetch-Site cross-site, Origin \(Self.attacker) not in origins")
        assertPasses(
            evaluate(gatekeeper, [("Sec-Fetch-Site", "cross-site"), ("Origin", Self.intranet), Self.cookie]),
            "POST with a Cookie: Sec-Fetch-Site cross-site, Origin \(Self.intranet) in origins")
        assertRefused(
            evaluate(gatekeeper, [("Sec-Fetch-Site", "cross-site"), Self.cookie]),
            "POST with a Cookie: Sec-Fetch-Site cross-site, no Origin")
        assertRefused(
            evaluate(gatekeeper, [("Sec-Fetch-Site", "cross-site"), ("Origin", "null"), Self.cookie]),
            "POST with a Cookie: Sec-Fetch-Site cross-site, Origin null (an opaque origin: sandboxed frame, file, or a redirect across origins)")
    }

    func testAnUnknownOrRepeatedSecFetchSiteIsRefused() throws {
        let gatekeeper = try gatekeeper()
        for value in ["Same-Origin", "same-origin, cross-site", "", "same_origin", "cross-site;x"] {
            assertRefused(
                evaluate(gatekeeper, [("Sec-Fetch-Site", value), ("Origin", Self.intranet), Self.cookie]),
                "POST with a Cookie: Sec-Fetch-Site '\(value)' is not same-origin, same-site, cross-site or none")
        }
        assertRefused(
            evaluate(gatekeeper, [("Sec-Fetch-Site", "same-origin"), ("Sec-Fetch-Site", "cross-site"), Self.cookie]),
            "POST with a Cookie: 2 Sec-Fetch-Site headers")
        // Even two that agree: one browser request never carries two.
        assertRefused(
            evaluate(gatekeeper, [("Sec-Fetch-Site", "same-origin"), ("Sec-Fetch-Site", "same-origin"), Self.cookie]),
            "POST with a Cookie: 2 Sec-Fetch-Site headers")
    }

    // MARK: - Line 4: no Sec-Fetch-Site, Origin

    func testWithoutSecFetchSiteAListedOriginPasses() throws {
        let gatekeeper = try gatekeeper()
        assertPasses(evaluate(gatekeeper, [("Origin", Self.intranet), Self.cookie]), "POST with a Cookie: no Sec-Fetch-Site, Origin \(Self.intranet) in origins")
        // The same origin written otherwise: scheme and host case, the default port.
        for spelling in ["HTTPS://Intranet.Example.COM", "https://intranet.example.com:443"] {
            assertPasses(evaluate(gatekeeper, [("Origin", spelling), Self.cookie]), "POST with a Cookie: no Sec-Fetch-Site, Origin \(Self.intranet) in origins")
        }
    }

    /// CVE-2025-47909 (gorilla/csrf compared hosts only): the scheme and the port are the origin too.
    func testHTTPIsNotHTTPSNorAnotherPort() throws {
        let gatekeeper = try gatekeeper()
        for origin in ["http://intranet.example.com", "https://intranet.example.com:8443", "https://intranet.example.com.evil.example.net", "https://xintranet.example.com"] {
            assertRefused(
                evaluate(gatekeeper, [("Origin", origin), Self.cookie]),
                "POST with a Cookie: no Sec-Fetch-Site, Origin \(origin) not in origins")
            assertRefused(
                evaluate(gatekeeper, [("Sec-Fetch-Site", "cross-site"), ("Origin", origin), Self.cookie]),
                "POST with a Cookie: Sec-Fetch-Site cross-site, Origin \(origin) not in origins")
        }
        // The Host header is not the yardstick: behind auth_request it names the daemon.
        let outcome = gatekeeper.evaluate(AuthRequest(
            method: "POST", path: "/", host: "evil.example.net", headers: [("Origin", Self.attacker), Self.cookie], peer: nil))
        XCTAssertEqual(outcome.reason, .csrfFailed)
    }

    func testNullOriginIsRefused() throws {
        assertRefused(
            evaluate(try gatekeeper(), [("Origin", "null"), Self.cookie]),
            "POST with a Cookie: no Sec-Fetch-Site, Origin null (an opaque origin: sandboxed frame, file, or a redirect across origins)")
    }

    func testTwoOriginHeadersAreRefused() throws {
        let gatekeeper = try gatekeeper()
        assertRefused(evaluate(gatekeeper, [("Origin", Self.intranet), ("Origin", Self.intranet), Self.cookie]), "POST with a Cookie: 2 Origin headers")
        assertRefused(
            evaluate(gatekeeper, [("Sec-Fetch-Site", "same-origin"), ("Origin", Self.intranet), ("Origin", Self.attacker), Self.cookie]),
            "POST with a Cookie: 2 Origin headers")
    }

    func testAnOriginThatIsNotAnOriginIsRefused() throws {
        let gatekeeper = try gatekeeper()
        for value in ["https://intranet.example.com/", "intranet.example.com", "https://alice@intranet.example.com", "ftp://intranet.example.com"] {
            assertRefused(evaluate(gatekeeper, [("Origin", value), Self.cookie]), "POST with a Cookie: no Sec-Fetch-Site, Origin '\(value)' is not an origin")
        }
    }

    // MARK: - Line 5: neither header

    func testNeitherHeaderFollowsMissing() throws {
        assertPasses(evaluate(try gatekeeper(), [Self.cookie]), "POST with a Cookie: neither Sec-Fetch-Site nor Origin: not a browser (missing = allow)")
        assertPasses(evaluate(try gatekeeper(#"missing = "allow""#), [Self.cookie]), "POST with a Cookie: neither Sec-Fetch-Site nor Origin: not a browser (missing = allow)")
        assertRefused(evaluate(try gatekeeper(#"missing = "deny""#), [Self.cookie]), "POST with a Cookie: neither Sec-Fetch-Site nor Origin (missing = deny)")
    }

    // MARK: - Exempt paths

    func testExemptPathsMatchTheNormalizedPathExactly() throws {
        let gatekeeper = try gatekeeper(#"exempt_paths = ["/hooks/github", "/api/public/**"]"#)
        let crossSite = [("Sec-Fetch-Site", "cross-site"), ("Origin", Self.attacker), Self.cookie]
        let exempt: [(String, String)] = [
            ("/hooks/github", "/hooks/github"), ("/hooks/github?delivery=1", "/hooks/github"), ("//hooks/./github", "/hooks/github"),
            ("/hooks/%67ithub", "/hooks/github"), ("/hooks/github;jsessionid=1", "/hooks/github"), ("/x/../hooks/github", "/hooks/github"),
        ]
        for (target, normalized) in exempt {
            assertPasses(evaluate(gatekeeper, path: target, crossSite), "path \(normalized) exempt (exempt_paths /hooks/github)")
        }
        assertPasses(evaluate(gatekeeper, path: "/api/public/a/b", crossSite), "path /api/public/a/b exempt (exempt_paths /api/public/**)")
        assertPasses(evaluate(gatekeeper, path: "/api/public", crossSite), "path /api/public exempt (exempt_paths /api/public/**)")
        let refused = "POST with a Cookie: Sec-Fetch-Site cross-site, Origin \(Self.attacker) not in origins"
        for target in ["/hooks/github/", "/hooks/githubx", "/hooks", "/hooks/github/x", "/api/publicity", "/HOOKS/github"] {
            assertRefused(evaluate(gatekeeper, path: target, crossSite), refused)
        }
        // Paths an upstream could read two ways are never exempt: the full check runs.
        for target in ["/hooks%2Fgithub", "/hooks/github%00", "/hooks\\github", "/../hooks/github", "/hooks/git%zzhub"] {
            assertRefused(evaluate(gatekeeper, path: target, crossSite), refused)
        }
    }

    // MARK: - Empty origins, order in the stack, the answer

    /// Nothing cross-site can pass with no origins listed, so an empty list opens nothing.
    func testEmptyOriginsOpenNothing() throws {
        let gatekeeper = try gatekeeper(origins: "[]")
        XCTAssertTrue(gatekeeper.warnings.contains { $0.hasPrefix("stack.default[0].origins (csrf): an empty list") }, "\(gatekeeper.warnings)")
        for origin in [Self.intranet, Self.attacker, "null"] {
            XCTAssertEqual(evaluate(gatekeeper, [("Sec-Fetch-Site", "cross-site"), ("Origin", origin), Self.cookie]).reason, .csrfFailed, origin)
            XCTAssertEqual(evaluate(gatekeeper, [("Origin", origin), Self.cookie]).reason, .csrfFailed, origin)
        }
        assertPasses(evaluate(gatekeeper, [("Sec-Fetch-Site", "same-origin"), Self.cookie]), "POST with a Cookie: Sec-Fetch-Site same-origin")
        let noOrigins = try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "csrf"
            control = "requisite"

            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "alice"
            """)
        XCTAssertEqual(evaluate(noOrigins, [("Sec-Fetch-Site", "cross-site"), ("Origin", Self.intranet), Self.cookie]).reason, .csrfFailed)
    }

    /// After the credential entry: the refusal is still csrf_failed, and the Basic credential the
    /// browser replayed is what made it ambient.
    func testAfterTheCredentialEntryTheRefusalStands() throws {
        let gatekeeper = try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "$user"

            [[stack.default]]
            plugin = "csrf"
            control = "requisite"
            origins = ["https://intranet.example.com"]
            """)
        let basic = ("Authorization", String.basic("alice", "wonderland"))
        let forged = evaluate(gatekeeper, [("Sec-Fetch-Site", "cross-site"), ("Origin", Self.attacker), basic])
        XCTAssertEqual(forged.decision, .deny)
        XCTAssertEqual(forged.reason, .csrfFailed)
        XCTAssertEqual(forged.status, 403)
        XCTAssertEqual(forged.trace.map(\.verdict), ["allow", "deny"])
        XCTAssertEqual(forged.trace.last?.detail, "POST with Basic credentials: Sec-Fetch-Site cross-site, Origin \(Self.attacker) not in origins")
        let own = evaluate(gatekeeper, [("Sec-Fetch-Site", "same-origin"), ("Origin", Self.intranet), basic])
        XCTAssertEqual(own.decision, .allow)
        XCTAssertEqual(own.principal, "alice")
        XCTAssertEqual(own.decidedBy, 1)
    }

    /// `check` runs on many threads at once on one instance.
    func testConcurrentChecksAgree() throws {
        let gatekeeper = try gatekeeper(#"exempt_paths = ["/hooks/github"]"#)
        let (attacker, intranet, cookie) = (Self.attacker, Self.intranet, Self.cookie)
        let cases: [(path: String, site: String, origin: String, expected: Outcome.Decision)] = [
            ("/transfer", "cross-site", attacker, .deny), ("/transfer", "same-origin", intranet, .allow),
            ("/transfer", "cross-site", intranet, .allow), ("/hooks/github", "cross-site", attacker, .allow),
            ("/hooks/github/", "cross-site", attacker, .deny),
        ]
        let wrong = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4000) { index in
            let request = cases[index % cases.count]
            let headers = [("Sec-Fetch-Site", request.site), ("Origin", request.origin), cookie]
            let outcome = gatekeeper.evaluate(AuthRequest(method: "POST", path: request.path, headers: headers, peer: nil))
            if outcome.decision != request.expected { wrong.withLock { $0 += 1 } }
        }
        XCTAssertEqual(wrong.withLock { $0 }, 0)
    }

    /// The client is told that the request was refused as cross-site, and nothing of the rules.
    func testTheAnswerSaysNothingOfTheRules() throws {
        let gatekeeper = try gatekeeper()
        let outcome = evaluate(gatekeeper, [("Sec-Fetch-Site", "cross-site"), ("Origin", Self.attacker), Self.cookie])
        let response = gatekeeper.response(for: outcome)
        XCTAssertEqual(response.status, 403)
        XCTAssertNil(response.value(of: "WWW-Authenticate"))
        XCTAssertEqual(response.value(of: "Content-Type"), "application/problem+json")
        let body = String(decoding: response.body, as: UTF8.self)
        XCTAssertEqual(body, #"{"type":"about:blank","title":"Forbidden","status":403,"detail":"Cross-site request refused.","reason":"csrf_failed"}"#)
    }
}
