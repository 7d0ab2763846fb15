/// Why a plugin could not be loaded or instantiated. Each names the plugin, the file and what
/// was expected, so an operator can fix it without reading code.
public enum PluginLoadError: Error, Equatable, CustomStringConvertible {
    case invalidName(String)
    case fileMissing(plugin: String, path: String)
    /// `file` is in none of the directories `searched` (their paths and where each came from).
    case notInSearchPath(plugin: String, file: String, searched: String, count: Int)
    case notRegularFile(plugin: String, path: String)
    case unsafePermissions(plugin: String, path: String, mode: UInt32)
    case unsafeOwner(plugin: String, path: String, owner: UInt32)
    case unsafeDirectoryPermissions(plugin: String, path: String, directory: String, mode: UInt32)
    case unsafeDirectoryOwner(plugin: String, path: String, directory: String, owner: UInt32)
    case notLoadable(plugin: String, path: String, reason: String)
    case entryMissing(plugin: String, path: String)
    case noDescriptor(plugin: String, path: String)
    case abiMismatch(plugin: String, path: String, found: UInt32, expected: UInt32)
    case descriptorTooSmall(plugin: String, path: String, found: UInt32, expected: Int)
    case nameMismatch(plugin: String, path: String, found: String)
    case incomplete(plugin: String, path: String, missing: String)
    case createFailed(plugin: String, message: String)

    public var description: String {
        switch self {
        case .invalidName(let name):
            "plugin name '\(name)' is invalid: expected a short lowercase name like 'crypt' (letters, digits, '-', '_')"
        case .fileMissing(let plugin, let path):
            "plugin '\(plugin)': \(path) does not exist"
        case .notInSearchPath(let plugin, let file, let searched, let count):
            "plugin '\(plugin)': \(file) is not in the plugin \(count == 1 ? "directory" : "directories") searched: \(searched); "
                + "install the plugin there, or set plugin_dir in the configuration or PORTCULLIS_PLUGIN_DIR (which overrides it) to the directory that holds it"
        case .notRegularFile(let plugin, let path):
            "plugin '\(plugin)': \(path) is not a regular file"
        case .unsafePermissions(let plugin, let path, let mode):
            "plugin '\(plugin)': refusing \(path): writable by group or others (mode \(String(mode & 0o7777, radix: 8))); expected at most 755"
        case .unsafeOwner(let plugin, let path, let owner):
            "plugin '\(plugin)': refusing \(path): owned by uid \(owner); expected root or the user running portcullis"
        case .unsafeDirectoryPermissions(let plugin, let path, let directory, let mode):
            "plugin '\(plugin)': refusing \(path): its directory \(directory) is writable by group or others (mode \(String(mode & 0o7777, radix: 8))); expected at most 755, or a root-owned sticky directory"
        case .unsafeDirectoryOwner(let plugin, let path, let directory, let owner):
            "plugin '\(plugin)': refusing \(path): its directory \(directory) is owned by uid \(owner); expected root or the user running portcullis"
        case .notLoadable(let plugin, let path, let reason):
            "plugin '\(plugin)': cannot load \(path): \(reason)"
        case .entryMissing(let plugin, let path):
            "plugin '\(plugin)': \(path) does not export \(PluginLoader.entrySymbol); is it a Portcullis plugin?"
        case .noDescriptor(let plugin, let path):
            "plugin '\(plugin)': \(PluginLoader.entrySymbol) in \(path) returned no descriptor"
        case .abiMismatch(let plugin, let path, let found, let expected):
            "plugin '\(plugin)': \(path) was built for host protocol ABI \(found).x; this host speaks ABI \(expected).x"
        case .descriptorTooSmall(let plugin, let path, let found, let expected):
            "plugin '\(plugin)': \(path) has a descriptor of \(found) bytes; ABI 1 needs at least \(expected)"
        case .nameMismatch(let plugin, let path, let found):
            "plugin '\(plugin)': \(path) calls itself '\(found)'; the config and the file must name the same plugin"
        case .incomplete(let plugin, let path, let missing):
            "plugin '\(plugin)': \(path) has no \(missing) function in its descriptor"
        case .createFailed(let plugin, let message):
            "plugin '\(plugin)': \(message)"
        }
    }
}
