/// The mirror's flags, and a count of each flag's digest (a hash of its namespace and key bytes),
/// so that a request's lookup by the ABI's key bytes answers "not flagged" — almost always the
/// answer — without making a String of the key. A digest that matches is confirmed with the key.
struct FlagTable {
    private(set) var expiries: [StoreKey: WallTime] = [:]
    private var digests: [Int: Int] = [:]

    var isEmpty: Bool { expiries.isEmpty }
    var count: Int { expiries.count }

    subscript(key: StoreKey) -> WallTime? {
        get { expiries[key] }
        set {
            let old: WallTime?
            if let newValue { old = expiries.updateValue(newValue, forKey: key) } else { old = expiries.removeValue(forKey: key) }
            switch (old, newValue) {
            case (nil, _?): digests[Self.digest(key), default: 0] += 1
            case (_?, nil): forget(key)
            default: break
            }
        }
    }

    @discardableResult
    mutating func removeValue(forKey key: StoreKey) -> WallTime? {
        let old = expiries.removeValue(forKey: key)
        if old != nil { forget(key) }
        return old
    }

    mutating func removeExpired(now: WallTime) {
        for (key, expiry) in expiries where expiry <= now { removeValue(forKey: key) }
    }

    /// False when no flag has this key; true when one may (look it up to be sure).
    func mayContain(namespace: String, key: UnsafeRawBufferPointer) -> Bool {
        digests[Self.digest(namespace: namespace, key: key)] != nil
    }

    private mutating func forget(_ key: StoreKey) {
        let digest = Self.digest(key)
        if let count = digests[digest], count > 1 { digests[digest] = count - 1 } else { digests[digest] = nil }
    }

    private static func digest(_ key: StoreKey) -> Int {
        var text = key.key
        return text.withUTF8 { digest(namespace: key.namespace, key: UnsafeRawBufferPointer($0)) }
    }

    static func digest(namespace: String, key: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        var namespace = namespace
        namespace.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(UInt8(ascii: "/"))
        hasher.combine(bytes: key)
        return hasher.finalize()
    }
}
