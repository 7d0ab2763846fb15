/// Makes new password hashes for files the plugin reads (`portcullis hash`), with libxcrypt's
/// `crypt_gensalt_rn` (fresh random salt) and `crypt_rn`.
public enum PasswordHasher {
    public enum Scheme: String, CaseIterable, Sendable {
        case yescrypt, bcrypt, sha512crypt

        var prefix: String {
            switch self {
            case .yescrypt: "$y$"
            case .bcrypt: "$2b$"
            case .sha512crypt: "$6$"
            }
        }

        /// Accepted costs: yescrypt's cost factor, bcrypt's log2 rounds, sha512crypt's rounds.
        public var costs: ClosedRange<Int> {
            switch self {
            case .yescrypt: 1...11
            case .bcrypt: 4...31
            case .sha512crypt: 1000...999_999_999
            }
        }

        /// Never weak: yescrypt at libxcrypt's default (5), bcrypt 12 (libxcrypt's own default of 5
        /// is too cheap), sha512crypt 100,000 rounds rather than crypt(3)'s historic 5,000.
        public var defaultCost: Int {
            switch self {
            case .yescrypt: 5
            case .bcrypt: 12
            case .sha512crypt: 100_000
            }
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The hash of `password` with `scheme` at `cost` (nil: the scheme's default).
    public static func hash(_ password: some Collection<UInt8>, scheme: Scheme, cost: Int? = nil) throws(Failure) -> String {
        let cost = cost ?? scheme.defaultCost
        guard scheme.costs.contains(cost) else {
            throw Failure(description: "cost for \(scheme.rawValue) must be in \(scheme.costs.lowerBound)...\(scheme.costs.upperBound), not \(cost)")
        }
        guard !password.isEmpty else { throw Failure(description: "empty password") }
        guard !password.contains(0) else { throw Failure(description: "the password contains a NUL byte") }
        guard let setting = Libxcrypt.gensalt(prefix: scheme.prefix, count: UInt(cost)) else {
            throw Failure(description: "libxcrypt cannot make a \(scheme.rawValue) salt with cost \(cost)")
        }
        guard let hash = Libxcrypt.crypt(password, setting: Array(setting.utf8)) else {
            throw Failure(description: "libxcrypt cannot hash with \(scheme.rawValue)")
        }
        return String(decoding: hash, as: UTF8.self)
    }
}
