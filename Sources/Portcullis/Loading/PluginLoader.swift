internal import CPortcullisPlugin
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Finds, checks and loads plugin images.
///
/// Before anything in a file runs, the loader opens it once and checks it through the
/// descriptor (``PluginFile``): a regular file, not writable by group or others, owned by root
/// or the current user, in directories nobody else can change. Then `dlopen(RTLD_NOW |
/// RTLD_LOCAL | RTLD_NODELETE)` of that descriptor, the entry symbol, and the descriptor: ABI
/// major, size, name, functions. The name check comes after `dlopen`, when the image's
/// constructors have already run: the file and directory checks are what protect.
package enum PluginLoader {
    package static let entrySymbol = PORTCULLIS_PLUGIN_ENTRY

    /// The file a plugin named `name` has in `directory`: `libportcullis-<name>.so`.
    package static func fileName(for name: String) -> String { "libportcullis-\(name).so" }

    /// The running executable's path (`/proc/self/exe`).
    package static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return "./portcullis" }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The directory of the running executable: where `swift build` puts the tools.
    package static func executableDirectory() -> String {
        let executable = executablePath()
        return String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
    }

    /// Loads the plugin `name` from `path`, or from `directory` by its file name, or (neither
    /// given) from the first directory of this process's ``PluginSearchPath`` that holds it.
    package static func load(name: String, path: String? = nil, directory: String? = nil) throws(PluginLoadError) -> PluginLibrary {
        if path == nil, directory == nil { return try load(name: name, searchPath: .current()) }
        guard isValidName(name) else { throw .invalidName(name) }
        return try load(name: name, file: path ?? "\(directory ?? ".")/\(fileName(for: name))")
    }

    /// Loads the plugin `name` from `path` if given, else from the first directory of
    /// `searchPath` where its file exists. A file that exists but fails a check is an error, never
    /// a reason to look further.
    package static func load(name: String, path: String? = nil, searchPath: PluginSearchPath) throws(PluginLoadError) -> PluginLibrary {
        guard isValidName(name) else { throw .invalidName(name) }
        if let path { return try load(name: name, file: path) }
        for directory in searchPath.directories {
            do {
                return try load(name: name, file: "\(directory.path)/\(fileName(for: name))")
            } catch .fileMissing {
                continue
            }
        }
        throw .notInSearchPath(plugin: name, file: fileName(for: name), searched: searchPath.description,
                               count: searchPath.directories.count)
    }

    private static func load(name: String, file: String) throws(PluginLoadError) -> PluginLibrary {
        try loaded.withLock { (images: inout [String: PluginLibrary]) throws(PluginLoadError) -> PluginLibrary in
            let opened = try PluginFile.open(file, plugin: name)
            let library: PluginLibrary
            if let known = images[opened.resolved] {
                close(opened.descriptor)
                library = known
            } else {
                library = try load(opened, plugin: name)
                images[opened.resolved] = library
            }
            guard library.name == name else { throw .nameMismatch(plugin: name, path: file, found: library.name) }
            return library
        }
    }

    /// Every image loaded so far, for `portcullis plugins`.
    package static var loadedLibraries: [PluginLibrary] {
        loaded.withLock { $0.values.sorted { $0.name < $1.name } }
    }

    private static let loaded = Mutex<[String: PluginLibrary]>([:])

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (0x61...0x7A).contains(first), name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F }
    }

    /// Maps the checked descriptor. Once `dlopen` succeeds the descriptor stays open for the life
    /// of the process (images are never unloaded either): glibc knows the image by the name
    /// `/proc/self/fd/N`, and a number closed and reused would make a later `dlopen` of another
    /// plugin hand back this image.
    private static func load(_ opened: PluginFile, plugin: String) throws(PluginLoadError) -> PluginLibrary {
        let file = opened.path
        guard let handle = dlopen(opened.procPath, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            close(opened.descriptor)
            throw .notLoadable(plugin: plugin, path: file, reason: reason.replacing(opened.procPath, with: opened.resolved))
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
