import PortcullisPluginKit

#if canImport(Glibc)
import Glibc
#endif

/// The allowed user's uid, gid and group names, from the system's user database (NSS: files,
/// sss, ldap…), read with the reentrant calls because checks run on many threads at once.
enum SystemAccount {
    /// `uid`, `gid` and `groups` (comma-separated names, primary group first); empty when the
    /// name is not a system account (e.g. pam_matrix users, or a PAM stack without NSS).
    static func attributes(of user: String) -> [Attribute] {
        guard let (uid, gid) = ids(of: user) else { return [] }
        return [
            Attribute("uid", String(uid)),
            Attribute("gid", String(gid)),
            Attribute("groups", groups(of: user, primary: gid).joined(separator: ",")),
        ]
    }

    private static func ids(of user: String) -> (uid_t, gid_t)? {
        withBuffer(sysconf(Int32(_SC_GETPW_R_SIZE_MAX))) { buffer, size in
            var entry = passwd()
            var found: UnsafeMutablePointer<passwd>?
            let status = getpwnam_r(user, &entry, buffer, size, &found)
            guard status != ERANGE else { return .retry }
            guard status == 0, found != nil else { return .done(nil) }
            return .done((entry.pw_uid, entry.pw_gid))
        } ?? nil
    }

    private static func groups(of user: String, primary: gid_t) -> [String] {
        var count: Int32 = 32
        var ids = [gid_t](repeating: 0, count: Int(count))
        while getgrouplist(user, primary, &ids, &count) == -1 {
            // count now holds the number needed; anything else would loop forever.
            guard Int(count) > ids.count else { return [] }
            ids = [gid_t](repeating: 0, count: Int(count))
        }
        return ids.prefix(Int(count)).map { groupName($0) ?? String($0) }
    }

    private static func groupName(_ gid: gid_t) -> String? {
        withBuffer(sysconf(Int32(_SC_GETGR_R_SIZE_MAX))) { buffer, size in
            var entry = group()
            var found: UnsafeMutablePointer<group>?
            let status = getgrgid_r(gid, &entry, buffer, size, &found)
            guard status != ERANGE else { return .retry }
            guard status == 0, found != nil, let name = entry.gr_name else { return .done(nil) }
            return .done(String(validatingCString: name))
        } ?? nil
    }

    private enum Attempt<T> {
        case done(T)
        case retry
    }

    /// Runs `body` with a scratch buffer, doubling it while the call reports ERANGE (up to 1 MiB).
    private static func withBuffer<T>(_ suggested: Int, _ body: (UnsafeMutablePointer<CChar>, Int) -> Attempt<T>) -> T? {
        var size = suggested > 0 ? suggested : 1024
        while size <= 1 << 20 {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            switch body(buffer, size) {
            case .done(let value): return value
            case .retry: size *= 2
            }
        }
        return nil
    }
}
