package import CPortcullisPlugin
package import PortcullisNetwork

/// Lays strings out for the ABI: one contiguous byte arena, and pc_str views into it that
/// stay valid for the duration of a closure. Every string the host hands a plugin comes from
/// here, so an empty one still points at a valid byte (the ABI's rule: `data` is never NULL).
package struct CArena {
    package private(set) var bytes: [UInt8] = []
    private var spans: [(offset: Int, length: Int)] = []

    /// Appends `text` and returns its handle for `view(_:base:)`.
    package init() {}

    package mutating func add(_ text: some Collection<UInt8>) -> Int {
        spans.append((bytes.count, text.count))
        bytes.append(contentsOf: text)
        return spans.count - 1
    }

    package mutating func add(_ text: String) -> Int { add(text.utf8) }

    /// The pc_str for handle `index`, given the arena's base address.
    package func view(_ index: Int, base: UnsafePointer<UInt8>?) -> pc_str {
        let span = spans[index]
        guard span.length > 0, let base else { return Self.emptyView }
        return pc_str(data: UnsafeRawPointer(base + span.offset).assumingMemoryBound(to: CChar.self), length: span.length)
    }

    /// An empty string with a valid pointer.
    package static var emptyView: pc_str { pc_str(data: emptyText, length: 0) }

    package static func string(_ str: pc_str) -> String {
        guard let data = str.data, str.length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: str.length), as: UTF8.self)
    }

    /// Name/value pairs as a pc_pair array, valid during `body`.
    package static func withPairs<R>(_ pairs: [(name: String, value: String)], _ body: (UnsafePointer<pc_pair>?, Int) -> R) -> R {
        var arena = CArena()
        let handles = pairs.map { (arena.add($0.name), arena.add($0.value)) }
        return arena.bytes.withUnsafeBufferPointer { base in
            let cPairs = handles.map { pc_pair(name: arena.view($0.0, base: base.baseAddress), value: arena.view($0.1, base: base.baseAddress)) }
            return cPairs.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
        }
    }
}

/// Empty strings still get a valid pointer: plugins written in C need not check for NULL.
nonisolated(unsafe) private let emptyText: UnsafePointer<CChar> = {
    let byte = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    byte.initialize(to: 0)
    return UnsafePointer(byte)
}()

extension pc_address {
    /// The ABI's form of `address` (`PC_ADDRESS_NONE` for nil), in network byte order.
    package init(_ address: IPAddress?) {
        self.init()
        guard let address else { return }
        let bytes = address.bytes
        family = bytes.count == 4 ? PC_ADDRESS_IPV4 : PC_ADDRESS_IPV6
        withUnsafeMutableBytes(of: &self.bytes) { $0.copyBytes(from: bytes) }
    }
}

extension IPAddress {
    /// Read on every request (`request.client`), so built straight from the tuple's bytes,
    /// in network order, without the Array that `init(bytes:)` would need.
    package init?(_ address: pc_address) {
        let family = address.family
        guard family == PC_ADDRESS_IPV4 || family == PC_ADDRESS_IPV6 else { return nil }
        self = withUnsafeBytes(of: address.bytes) { raw in
            guard family == PC_ADDRESS_IPV6 else { return .v4(UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self))) }
            return IPAddress(ipv6NetworkOrder: raw)
        }
    }
}
