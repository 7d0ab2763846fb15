internal import CPortcullisPlugin
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Finds, checks and loads plugin images.
///
/// Before anything in a file runs, the loader checks it: a regular file, not writable by group
/// or others, owned by root or the current user. Then `dlopen(RTLD_NOW | RTLD_LOCAL |
/// RTLD_NODELETE)`, the entry symbol, and the descriptor: ABI major, size, name, functions.
public enum PluginLoader {
    public static let entrySymbol = "portcullis_plugin_v1"

    /// The file a plugin named `name` has in `directory`: `libportcullis-<name>.so`.
    public static func fileName(for name: String) -> String { "libportcullis-\(name).so" }

    /// The default plugin directory: `$PORTCULLIS_PLUGIN_DIR`, else the directory of the
    /// running executable (where `swift build` and the install put the plugins).
    public static func defaultDirectory() -> String {
        if let override = getenv("PORTCULLIS_PLUGIN_DIR").map({ String(cString: $0) }), !override.isEmpty {
            return override
        }
        return executableDirectory()
    }

    /// The directory of the running executable (`/proc/self/exe`).
    public static func executableDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return "." }
        let executable = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
    }

    /// Loads the plugin `name` from `path`, or from `directory` by its file name.
    public static func load(name: String, path: String? = nil, directory: String? = nil) throws(PluginLoadError) -> PluginLibrary {
        guard isValidName(name) else { throw .invalidName(name) }
        let file = path ?? "\(directory ?? defaultDirectory())/\(fileName(for: name))"
        return try loaded.withLock { (images: inout [String: PluginLibrary]) throws(PluginLoadError) -> PluginLibrary in
            try checkFile(file, plugin: name)
            let library: PluginLibrary
            if let known = images[file] {
                library = known
            } else {
                library = try open(file, plugin: name)
                images[file] = library
            }
            guard library.name == name else { throw .nameMismatch(plugin: name, path: file, found: library.name) }
            return library
        }
    }

    /// Every image loaded so far, for `portcullis plugins`.
    public static var loadedLibraries: [PluginLibrary] {
        loaded.withLock { $0.values.sorted { $0.name < $1.name } }
    }

    private static let loaded = Mutex<[String: PluginLibrary]>([:])

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (0x61...0x7A).contains(first), name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F }
    }

    /// Refuses files an attacker other than root or ourselves could have written.
    /// (The directory is the operator's to secure; this catches the common mistakes.)
    private static func checkFile(_ file: String, plugin: String) throws(PluginLoadError) {
        var info = stat()
        guard stat(file, &info) == 0 else {
            if errno == ENOENT { throw .fileMissing(plugin: plugin, path: file) }
            throw .notLoadable(plugin: plugin, path: file, reason: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile(plugin: plugin, path: file) }
        guard info.st_mode & (S_IWGRP | S_IWOTH) == 0 else {
            throw .unsafePermissions(plugin: plugin, path: file, mode: info.st_mode)
        }
        guard info.st_uid == 0 || info.st_uid == geteuid() else {
            throw .unsafeOwner(plugin: plugin, path: file, owner: info.st_uid)
        }
    }

    private static func open(_ file: String, plugin: String) throws(PluginLoadError) -> PluginLibrary {
        guard let handle = dlopen(file, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw .notLoadable(plugin: plugin, path: file, reason: dlerror().map { String(cString: $0) } ?? "unknown dlopen error")
        }
        guard let symbol = dlsym(handle, entrySymbol) else { throw .entryMissing(plugin: plugin, path: file) }
        let entry = unsafeBitCast(symbol, to: pc_plugin_entry.self)
        guard let descriptor = entry() else { throw .noDescriptor(plugin: plugin, path: file) }

        // Only the leading fields are read until the size says the rest exists.
        let header = UnsafeRawPointer(descriptor)
        let major = header.load(fromByteOffset: MemoryLayout<pc_plugin_descriptor>.offset(of: \.abi_major) ?? 0, as: UInt32.self)
        let size = header.load(fromByteOffset: MemoryLayout<pc_plugin_descriptor>.offset(of: \.descriptor_size) ?? 8, as: UInt32.self)
        guard major == PORTCULLIS_ABI_MAJOR else {
            throw .abiMismatch(plugin: plugin, path: file, found: major, expected: PORTCULLIS_ABI_MAJOR)
        }
        let needed = PluginLibrary.minimumDescriptorSize
        guard size >= needed else {
            throw .descriptorTooSmall(plugin: plugin, path: file, found: size, expected: needed)
        }
        let raw = descriptor.pointee
        for (function, present) in [("create", raw.create != nil), ("check", raw.check != nil),
                                    ("release", raw.release != nil), ("destroy", raw.destroy != nil), ("name", raw.name != nil)]
        where !present {
            throw .incomplete(plugin: plugin, path: file, missing: function)
        }
        return PluginLibrary(path: file, descriptor: descriptor)
    }
}
