import Crypto
import Foundation
@testable import HmacPlugin
import PortcullisPluginKit
import PortcullisTestSupport
import XCTest

/// Key rotation and revocation without a restart: files re-read on change, bad files ignored.
final class ReloadTests: XCTestCase {
    let now = Date().timeIntervalSince1970
    let verifier = TokenVerifier(policy: TokenPolicy())

    func token(_ key: HmacKey, jti: String = "jti-1") -> String {
        TokenIssuer.issue(claims: ["sub": .string("alice"), "exp": .number(now + 600), "jti": .string(jti)], key: key)
    }

    func testRotatedKeyFileIsPickedUp() throws {
        let directory = try TestSupport.temporaryDirectoryURL(self)
        let path = directory.appendingPathComponent("keys.jwks")
        let old = randomKey(kid: "2026-10"), new = randomKey(kid: "2026-11")
        try TestSupport.replaceAtomically(path, with: jwks([old]))
        let log = LogRecorder()
        let keys = try WatchedFile(path: path.path, what: "keys", interval: .zero, log: log.record) { try KeySet(contentsOf: $0) }
        XCTAssertNoThrow(try verifier.verify(token(old), keys: keys.current(), now: now).get())
        XCTAssertEqual(verifier.verify(token(new), keys: keys.current(), now: now), .failure(.unknownKey))

        // Rotation step 1: add the new key next to the old one. A look runs in the background:
        // the change is served soon after, never by a request that waits for the disk.
        try TestSupport.replaceAtomically(path, with: jwks([old, new]))
        XCTAssertTrue(TestSupport.eventually { (try? verifier.verify(token(new), keys: keys.current(), now: now).get()) != nil })
        XCTAssertNoThrow(try verifier.verify(token(old), keys: keys.current(), now: now).get())
        // Step 2: retire the old key.
        try TestSupport.replaceAtomically(path, with: jwks([new]))
        XCTAssertTrue(TestSupport.eventually { verifier.verify(token(old), keys: keys.current(), now: now) == .failure(.unknownKey) })
        XCTAssertNoThrow(try verifier.verify(token(new), keys: keys.current(), now: now).get())
        XCTAssertEqual(log.all.filter { $0.hasPrefix("reloaded keys") }.count, 2)
    }

    func testAnEditInPlaceIsPickedUp() throws {
        let directory = try TestSupport.temporaryDirectoryURL(self)
        let path = directory.appendingPathComponent("keys.jwks")
        let first = randomKey(kid: "a"), second = randomKey(kid: "b")
        try Data(jwks([first]).utf8).write(to: path)
        let keys = try WatchedFile(path: path.path, what: "keys", interval: .zero, log: { _, _ in }) { try KeySet(contentsOf: $0) }
        let handle = try FileHandle(forWritingTo: path)  // same inode, new content and size
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(jwks([first, second]).utf8))
        try handle.close()
        XCTAssertTrue(TestSupport.eventually { (try? verifier.verify(token(second), keys: keys.current(), now: now).get()) != nil })
    }

    func testABadFileKeepsTheOldKeysAndIsLoggedWithoutSecrets() throws {
        let directory = try TestSupport.temporaryDirectoryURL(self)
        let path = directory.appendingPathComponent("keys.jwks")
        let good = randomKey(kid: "good")
        try TestSupport.replaceAtomically(path, with: jwks([good]))
        let log = LogRecorder()
        let keys = try WatchedFile(path: path.path, what: "keys", interval: .zero, log: log.record) { try KeySet(contentsOf: $0) }

        let shortSecret = TokenIssuer.encode([UInt8](repeating: 0x5A, count: 16))
        // Each bad version is looked at (as a timer or a request's background look would) and kept out.
        try TestSupport.replaceAtomically(path, with: #"{"keys":[{"kty":"oct","kid":"weak","alg":"HS256","k":"\#(shortSecret)"}]}"#)
        keys.reloadIfChanged()
        XCTAssertNoThrow(try verifier.verify(token(good), keys: keys.current(), now: now).get())
        try TestSupport.replaceAtomically(path, with: "{ not json")
        keys.reloadIfChanged()
        XCTAssertNoThrow(try verifier.verify(token(good), keys: keys.current(), now: now).get())
        try FileManager.default.removeItem(at: path)
        keys.reloadIfChanged()
        XCTAssertNoThrow(try verifier.verify(token(good), keys: keys.current(), now: now).get())
        keys.reloadIfChanged()  // unchanged since: not logged again

        let failures = log.entries.filter { $0.message.hasPrefix("keeping the previous keys") }
        XCTAssertEqual(failures.count, 3, "\(log.all)")
        XCTAssertTrue(failures.allSatisfy { $0.message.contains(path.path) }, "\(failures)")
        XCTAssertTrue(failures.allSatisfy { $0.level == .error }, "the keys in force are stale: logged as errors, \(failures)")
        let goodSecret = TokenIssuer.encode(good.secret.withUnsafeBytes { Array($0) })
        XCTAssertFalse(log.all.contains { $0.contains(shortSecret) || $0.contains(goodSecret) })
    }

    func testTheIntervalLimitsHowOftenTheFileIsChecked() throws {
        let directory = try TestSupport.temporaryDirectoryURL(self)
        let path = directory.appendingPathComponent("keys.jwks")
        let first = randomKey(kid: "a"), second = randomKey(kid: "b")
        try TestSupport.replaceAtomically(path, with: jwks([first]))
        let keys = try WatchedFile(path: path.path, what: "keys", interval: .seconds(3600), log: { _, _ in }) { try KeySet(contentsOf: $0) }
        try TestSupport.replaceAtomically(path, with: jwks([second]))
        XCTAssertEqual(keys.current().keys.map(\.kid), ["a"], "not checked again within the interval")
        keys.reloadIfChanged()
        XCTAssertEqual(keys.current().keys.map(\.kid), ["b"])
    }

    /// `reload_interval = 0`: the files are read once, as iplist's are; no request schedules a look.
    func testNoIntervalNeverLooksByItself() throws {
        let directory = try TestSupport.temporaryDirectoryURL(self)
        let path = directory.appendingPathComponent("keys.jwks")
        try TestSupport.replaceAtomically(path, with: jwks([randomKey(kid: "a")]))
        let keys = try WatchedFile(path: path.path, what: "keys", interval: nil, log: { _, _ in }) { try KeySet(contentsOf: $0) }
        try TestSupport.replaceAtomically(path, with: jwks([randomKey(kid: "b")]))
        for _ in 0..<100 { XCTAssertEqual(keys.current().keys.map(\.kid), ["a"]) }
        XCTAssertEqual(keys.generation, 0)
        // Nothing looked in the background: the change is still there to be found.
        guard case .reloaded(let reloaded) = keys.reloadIfChanged() else { return XCTFail("a look ran by itself") }
        XCTAssertEqual(reloaded.keys.map(\.kid), ["b"])
    }

    func testRevocationFileIsReloaded() throws {
        let directory = try TestSupport.temporaryDirectoryURL(self)
        let path = directory.appendingPathComponent("revoked")
        let key = randomKey(kid: "k")
        let keys = try KeySet(keys: [key])
        try TestSupport.replaceAtomically(path, with: "# nothing revoked yet\n")
        let revoked = try WatchedFile(path: path.path, what: "revoked jti list", interval: .zero, log: { _, _ in }) { try RevocationList(contentsOf: $0) }
        XCTAssertNoThrow(try verifier.verify(token(key, jti: "leaked"), keys: keys, revoked: revoked.current(), now: now).get())
        try TestSupport.replaceAtomically(path, with: "leaked\n")
        XCTAssertTrue(TestSupport.eventually { verifier.verify(token(key, jti: "leaked"), keys: keys, revoked: revoked.current(), now: now) == .failure(.revoked) })
        try TestSupport.replaceAtomically(path, with: "bad jti with spaces\n")
        revoked.reloadIfChanged()
        XCTAssertEqual(verifier.verify(token(key, jti: "leaked"), keys: keys, revoked: revoked.current(), now: now), .failure(.revoked),
                       "a bad revocation file keeps the previous list")
    }

    func testConcurrentChecksDuringRotation() throws {
        let directory = try TestSupport.temporaryDirectoryURL(self)
        let path = directory.appendingPathComponent("keys.jwks")
        let stable = randomKey(kid: "stable")
        try TestSupport.replaceAtomically(path, with: jwks([stable]))
        let keys = try WatchedFile(path: path.path, what: "keys", interval: .zero, log: { _, _ in }) { try KeySet(contentsOf: $0) }
        let stableToken = token(stable)
        let failures = Mutex(0)
        let verifier = self.verifier
        let now = self.now
        DispatchQueue.concurrentPerform(iterations: 400) { index in
            if index % 50 == 0 { try? TestSupport.replaceAtomically(path, with: jwks([stable, randomKey(kid: "extra-\(index)")])) }
            if case .failure = verifier.verify(stableToken, keys: keys.current(), now: now) { failures.withLock { $0 += 1 } }
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
    }
}

import Synchronization
