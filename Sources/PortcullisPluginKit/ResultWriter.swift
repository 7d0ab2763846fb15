internal import CPortcullisPlugin
import PortcullisProtocol

/// Copies a ``PluginOutcome`` into the host's `pc_result`, in one allocation that
/// `release` frees: the pair array first, then every string's bytes.
enum ResultWriter {
    static func write(_ outcome: PluginOutcome, into result: UnsafeMutablePointer<pc_result>) {
        var strings: [String] = []
        var attributes: [Attribute] = []
        switch outcome {
        case .allow(let identity, let detail, let ttl):
            result.pointee.verdict = Verdict.allow.rawValue
            result.pointee.cache_ttl = ttl.map { Int32(clamping: max(0, $0)) } ?? -1
            attributes = identity.attributes
            strings = [identity.principal, "", detail ?? ""]
        case .deny(let reason, let challenge, let detail, let failDelay):
            result.pointee.verdict = Verdict.deny.rawValue
            result.pointee.fail_delay_ms = failDelay.map { UInt32(clamping: max(0, $0.milliseconds)) } ?? 0
            result.pointee.reason = reason.rawValue
            result.pointee.cache_ttl = -1
            strings = ["", challenge ?? "", detail ?? ""]
        case .lockedOut(let retryAfter, let detail):
            result.pointee.verdict = Verdict.deny.rawValue
            result.pointee.reason = ReasonCode.lockedOut.rawValue
            result.pointee.cache_ttl = 0
            // Whole seconds, rounded up: `Retry-After: 0` would invite a retry that is still refused.
            let milliseconds = max(0, retryAfter.milliseconds)
            result.pointee.retry_after_s = UInt32(clamping: (milliseconds + 999) / 1000)
            strings = ["", "", detail ?? ""]
        case .ignore(let challenge, let detail):
            result.pointee.verdict = Verdict.ignore.rawValue
            result.pointee.cache_ttl = -1
            strings = ["", challenge ?? "", detail ?? ""]
        case .error(let reason, let detail):
            result.pointee.verdict = Verdict.error.rawValue
            result.pointee.reason = reason.rawValue
            result.pointee.cache_ttl = 0
            strings = ["", "", detail]
        }
        strings += attributes.flatMap { [$0.name, $0.value] }

        let pairBytes = MemoryLayout<pc_pair>.stride * attributes.count
        let textBytes = strings.reduce(0) { $0 + $1.utf8.count }
        let block = UnsafeMutableRawPointer.allocate(
            byteCount: max(1, pairBytes + textBytes), alignment: MemoryLayout<pc_pair>.alignment)
        result.pointee.plugin_data = block

        var cursor = block + pairBytes
        let views = strings.map { string -> pc_str in
            let count = string.utf8.count
            let start = cursor.assumingMemoryBound(to: CChar.self)
            UnsafeMutableRawBufferPointer(start: cursor, count: count).copyBytes(from: string.utf8)
            cursor += count
            return pc_str(data: start, length: count)
        }
        result.pointee.principal = views[0]
        result.pointee.challenge = views[1]
        result.pointee.detail = views[2]
        if !attributes.isEmpty {
            let pairs = block.bindMemory(to: pc_pair.self, capacity: attributes.count)
            for index in attributes.indices {
                (pairs + index).initialize(to: pc_pair(name: views[3 + 2 * index], value: views[4 + 2 * index]))
            }
            result.pointee.attributes = UnsafePointer(pairs)
            result.pointee.attribute_count = attributes.count
        }
    }

    static func release(_ result: UnsafeMutablePointer<pc_result>) {
        result.pointee.plugin_data?.deallocate()
        result.pointee.plugin_data = nil
    }
}
