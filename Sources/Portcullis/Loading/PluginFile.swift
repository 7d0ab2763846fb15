#if canImport(Glibc)
import Glibc
#endif

/// A plugin file opened once and checked on its descriptor, so that what is checked is what
/// `dlopen` maps: no name is looked up twice.
///
/// The configured path may be a symlink (Debian alternatives are common), so it is resolved with
/// `realpath` first. Then the resolved path is walked one component at a time from `/` with
/// `openat(O_NOFOLLOW)`: every directory on the way and the file itself are checked through their
/// descriptors (owner root or our effective user; not writable by group or others, except a
/// root-owned sticky directory such as /tmp). A component swapped for a symlink after `realpath`
/// fails the open instead of being followed. Nobody but root and us can then change what the
/// path names, and `dlopen("/proc/self/fd/N")` loads exactly the file that was checked.
struct PluginFile {
    /// The configured path, for messages.
    let path: String
    /// The path with every symlink resolved.
    let resolved: String
    /// Open for reading; owned by the caller (see ``PluginLoader``: kept open once loaded).
    let descriptor: Int32

    /// `/proc/self/fd/N`: the name `dlopen` is given.
    var procPath: String { "/proc/self/fd/\(descriptor)" }

    static func open(_ path: String, plugin: String) throws(PluginLoadError) -> PluginFile {
        guard let real = realpath(path, nil) else {
            if errno == ENOENT { throw .fileMissing(plugin: plugin, path: path) }
            throw .notLoadable(plugin: plugin, path: path, reason: String(cString: strerror(errno)))
        }
        let resolved = String(cString: real)
        free(real)

        var directory = Glibc.open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw .notLoadable(plugin: plugin, path: path, reason: "cannot open /: \(String(cString: strerror(errno)))") }
        defer { close(directory) }
        try checkDirectory(directory, "/", plugin: plugin, path: path)
        let components = resolved.split(separator: "/").map(String.init)
        var walked = ""
        for component in components.dropLast() {
            walked += "/" + component
            let next = openat(directory, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { throw changed(plugin: plugin, path: path, at: walked) }
            close(directory)
            directory = next
            try checkDirectory(directory, walked, plugin: plugin, path: path)
        }
        // O_NONBLOCK: a FIFO put in the plugin's place must not hang the open.
        let file = openat(directory, components.last ?? "", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else { throw changed(plugin: plugin, path: path, at: resolved) }
        do throws(PluginLoadError) {
            try checkFile(file, plugin: plugin, path: path)
        } catch {
            close(file)
            throw error
        }
        return PluginFile(path: path, resolved: resolved, descriptor: file)
    }

    private static func changed(plugin: String, path: String, at component: String) -> PluginLoadError {
        let reason = errno == ELOOP || errno == ENOTDIR ? "\(component) changed into a symlink while loading" : "\(component): \(String(cString: strerror(errno)))"
        return .notLoadable(plugin: plugin, path: path, reason: reason)
    }

    private static func status(_ descriptor: Int32, plugin: String, path: String) throws(PluginLoadError) -> stat {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw .notLoadable(plugin: plugin, path: path, reason: String(cString: strerror(errno)))
        }
        return info
    }

    /// Refuses a directory someone other than root or us could change: writable by group or
    /// others (a root-owned sticky directory only lets each user rename their own entries), or
    /// owned by another user.
    private static func checkDirectory(_ descriptor: Int32, _ directory: String, plugin: String, path: String) throws(PluginLoadError) {
        let info = try status(descriptor, plugin: plugin, path: path)
        let sharedButSticky = info.st_mode & S_ISVTX != 0 && info.st_uid == 0
        guard info.st_mode & (S_IWGRP | S_IWOTH) == 0 || sharedButSticky else {
            throw .unsafeDirectoryPermissions(plugin: plugin, path: path, directory: directory, mode: info.st_mode)
        }
        guard info.st_uid == 0 || info.st_uid == geteuid() else {
            throw .unsafeDirectoryOwner(plugin: plugin, path: path, directory: directory, owner: info.st_uid)
        }
    }

    /// Refuses anything but a regular file that only root or we can write.
    private static func checkFile(_ descriptor: Int32, plugin: String, path: String) throws(PluginLoadError) {
        let info = try status(descriptor, plugin: plugin, path: path)
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile(plugin: plugin, path: path) }
        guard info.st_mode & (S_IWGRP | S_IWOTH) == 0 else {
            throw .unsafePermissions(plugin: plugin, path: path, mode: info.st_mode)
        }
        guard info.st_uid == 0 || info.st_uid == geteuid() else {
            throw .unsafeOwner(plugin: plugin, path: path, owner: info.st_uid)
        }
    }
}
