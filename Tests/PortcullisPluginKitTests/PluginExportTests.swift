import CPortcullisPlugin
import Synchronization
import XCTest

@testable import PortcullisPluginKit

/// A Swift plugin through the descriptor the SDK exports, called as the host calls it (ABI 1.1):
/// the credential requirement answers before `check`, `check` reads the identity so far, and
/// `observe` is offered only by an `ObservingPlugin` and receives the decision intact.
final class PluginExportTests: XCTestCase {
    struct Recorder: ObservingPlugin {
        static let name = "recorder"
        static let version = "1.0.0"
        static let consumes: Set<CredentialKind> = [.basic]
        static let options: [PluginOption] = [
            .string("note", help: "a note"), .integer("level", in: 1...3, help: "how loud"), .list("tags", help: "tags, any number"),
        ]
        static let observed = Mutex<[(PluginDecision, String?)]>([])

        init(options: PluginOptions, host: PluginHost) throws {}

        var challenge: String? { #"Basic realm="recorder""# }
        var generation: UInt64 { 7 }

        func check(_ request: PluginRequest) -> PluginOutcome {
            .allow(Identity(principal: "seen-\(request.identity?.principal ?? "nobody")"))
        }

        func observe(_ request: PluginRequest, decision: PluginDecision) {
            Self.observed.withLock { $0.append((decision, request.identity?.principal)) }
        }
    }

    var descriptor: pc_plugin_descriptor {
        PluginExport.descriptor(for: Recorder.self).assumingMemoryBound(to: pc_plugin_descriptor.self).pointee
    }

    func instance() throws -> UnsafeMutableRawPointer {
        var created: UnsafeMutableRawPointer? = nil
        var error = [CChar](repeating: 0, count: 256)
        XCTAssertEqual(descriptor.create?(nil, nil, 0, &created, &error, error.count), 0)
        return try XCTUnwrap(created)
    }

    func check(_ instance: UnsafeMutableRawPointer, _ request: PluginRequest) -> (verdict: UInt32, reason: UInt32, principal: String, challenge: String) {
        var result = pc_result()
        result.struct_size = UInt32(MemoryLayout<pc_result>.size)
        descriptor.check?(instance, request.raw, &result)
        defer { descriptor.release?(instance, &result) }
        return (result.verdict, result.reason, ByteView(result.principal).text, ByteView(result.challenge).text)
    }

    func testDescriptorIsABI11WithObserveAndGeneration() throws {
        XCTAssertEqual(descriptor.abi_minor, 2)
        XCTAssertEqual(Int(descriptor.descriptor_size), MemoryLayout<pc_plugin_descriptor>.size)
        XCTAssertNotNil(descriptor.observe)
        let instance = try instance()
        defer { descriptor.destroy?(instance) }
        XCTAssertEqual(descriptor.generation?(instance), 7)
    }

    /// The option table crosses the ABI as `pc_option`s, so the host can show it (ABI 1.1).
    func testTheOptionTableIsInTheDescriptor() throws {
        let table = try XCTUnwrap(descriptor.options)
        let options = UnsafeBufferPointer(start: table, count: descriptor.option_count).map {
            [ByteView($0.name).text, ByteView($0.kind).text, ByteView($0.help).text, $0.flags & PC_OPTION_REQUIRED != 0 ? "required" : "optional"]
        }
        XCTAssertEqual(options, [
            ["note", "string", "a note", "optional"], ["level", "integer 1...3", "how loud", "optional"], ["tags", "list", "tags, any number", "optional"],
        ])
    }

    func testAMissingCredentialIsDeniedBeforeCheck() throws {
        let instance = try instance()
        defer { descriptor.destroy?(instance) }
        let none = PluginRequest.withTestRequest(credential: .none) { check(instance, $0) }
        XCTAssertEqual(none.verdict, PC_VERDICT_DENY)
        XCTAssertEqual(none.reason, PC_REASON_MISSING_CREDENTIALS)
        XCTAssertEqual(none.challenge, #"Basic realm="recorder""#)
        let bearer = PluginRequest.withTestRequest(credential: .bearer(token: Array("t".utf8))) { check(instance, $0) }
        XCTAssertEqual(bearer.reason, PC_REASON_UNSUPPORTED_SCHEME)
        let nameless = PluginRequest.withTestRequest(credential: .malformed(scheme: "")) { check(instance, $0) }
        XCTAssertEqual(nameless.reason, PC_REASON_MALFORMED_CREDENTIALS)
        // A malformed header of its own scheme reaches check (which answers it itself).
        let basic = PluginRequest.withTestRequest(credential: .malformed(scheme: "BASIC")) { check(instance, $0) }
        XCTAssertEqual(basic.verdict, PC_VERDICT_ALLOW)
    }

    func testCheckReadsTheIdentitySoFar() throws {
        let instance = try instance()
        defer { descriptor.destroy?(instance) }
        let first = PluginRequest.withTestRequest(credential: .basic("u", "p")) { check(instance, $0) }
        XCTAssertEqual(first.principal, "seen-nobody")
        let later = PluginRequest.withTestRequest(credential: .basic("u", "p"), identity: Identity(principal: "ann", attributes: [Attribute("groups", "ops")])) {
            XCTAssertEqual($0.identity?.attributes, [Attribute("groups", "ops")])
            return check(instance, $0)
        }
        XCTAssertEqual(later.principal, "seen-ann")
    }

    func testObserveReceivesTheDecision() throws {
        let instance = try instance()
        defer { descriptor.destroy?(instance) }
        Recorder.observed.withLock { $0 = [] }
        let name = Array("ann".utf8)
        name.withUnsafeBufferPointer { bytes in
            var decision = pc_decision()
            decision.struct_size = UInt32(MemoryLayout<pc_decision>.size)
            decision.verdict = PC_VERDICT_ALLOW
            decision.status = 200
            decision.decided_by = 2
            decision.entry = 0
            decision.principal = pc_str(data: UnsafeRawPointer(bytes.baseAddress).map { $0.assumingMemoryBound(to: CChar.self) }, length: bytes.count)
            PluginRequest.withTestRequest(identity: Identity(principal: "ann")) { descriptor.observe?(instance, $0.raw, &decision) }
            decision.verdict = PC_VERDICT_DENY
            decision.reason = PC_REASON_LOCKED_OUT
            decision.status = 429
            decision.decided_by = -1
            PluginRequest.withTestRequest { descriptor.observe?(instance, $0.raw, &decision) }
        }
        let observed = Recorder.observed.withLock { $0 }
        XCTAssertEqual(observed.map(\.0), [
            PluginDecision(allowed: true, reason: nil, status: 200, decidedBy: 2, entry: 0, principal: "ann"),
            PluginDecision(allowed: false, reason: .lockedOut, status: 429, decidedBy: nil, entry: 0, principal: nil),
        ])
        XCTAssertEqual(observed.map(\.1), ["ann", nil])
    }
}
