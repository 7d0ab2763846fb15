import CLibxcrypt

#if canImport(Glibc)
import Glibc
#endif

/// libxcrypt, used the thread-safe way: `crypt_rn` with a zeroed `struct crypt_data` on the heap
/// for every call. The struct is 32 KiB (too big for a pool thread's stack) and holds state derived
/// from the password, so it is never shared between calls and is wiped before it is freed.
public enum Libxcrypt {
    /// Hashes `phrase` with `setting` (a complete stored hash, or a salt from ``gensalt(prefix:count:)``).
    /// Returns nil when libxcrypt rejects the setting, or when `phrase` contains a NUL byte (a C
    /// string would end there, so `"a\0b"` would verify as `"a"`).
    public static func crypt(_ phrase: some Collection<UInt8>, setting: some Collection<UInt8>) -> [UInt8]? {
        guard !phrase.contains(0), !setting.contains(0) else { return nil }
        var phraseC = Array(phrase)
        phraseC.append(0)
        defer { phraseC.withUnsafeMutableBytes { if let base = $0.baseAddress { explicit_bzero(base, $0.count) } } }
        var settingC = Array(setting)
        settingC.append(0)

        let size = MemoryLayout<crypt_data>.size
        guard let data = calloc(1, size) else { return nil }
        defer {
            explicit_bzero(data, size)
            free(data)
        }
        return phraseC.withUnsafeBufferPointer { phrasePointer in
            settingC.withUnsafeBufferPointer { settingPointer in
                phrasePointer.withMemoryRebound(to: CChar.self) { phraseChars in
                    settingPointer.withMemoryRebound(to: CChar.self) { settingChars in
                        guard let output = crypt_rn(phraseChars.baseAddress, settingChars.baseAddress, data, Int32(size)) else {
                            return nil
                        }
                        return Array(UnsafeRawBufferPointer(start: output, count: strlen(output)))
                    }
                }
            }
        }
    }

    /// A new setting (prefix, cost and fresh random salt) for `prefix` such as `$y$`, `$2b$`, `$6$`.
    /// `count` is the scheme's cost parameter; 0 means libxcrypt's default for the scheme.
    public static func gensalt(prefix: String, count: UInt) -> String? {
        var output = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        let size = Int32(output.count)
        guard crypt_gensalt_rn(prefix, UInt(count), nil, 0, &output, size) != nil else { return nil }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether libxcrypt knows the hashing method of `hash` (current or legacy). It checks the
    /// setting part only, not whether the rest is a well-formed hash.
    public static func knowsMethod(of hash: some Collection<UInt8>) -> Bool {
        guard !hash.contains(0) else { return false }
        var hashC = Array(hash)
        hashC.append(0)
        let status = hashC.withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { crypt_checksalt($0.baseAddress) }
        }
        return status == CRYPT_SALT_OK || status == CRYPT_SALT_METHOD_LEGACY
    }
}
