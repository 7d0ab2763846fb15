public import PortcullisPluginKit

/// Where one instance's lists come from: inline entries (already parsed, fixed for the
/// instance's life) and files (re-read when they change).
public struct ListSources: Sendable {
    public var allowFiles: [String]
    public var denyFiles: [String]
    /// The inline entries, checked once when the instance is created.
    public var inline: [(prefix: IPPrefix, action: ListAction)]
    /// The answer for unlisted addresses.
    public var defaultAction: ListAction

    /// `defaultAction` nil picks the documented default: deny as soon as any allow source
    /// is configured (even a file that is empty right now, or an `allow = []` that a template
    /// rendered empty, so emptying a list never opens the door), else allow.
    /// `allowListGiven` says the `allow` argument was given, even with no entries.
    public init(
        allow: [IPPrefix] = [], deny: [IPPrefix] = [], allowFiles: [String] = [], denyFiles: [String] = [],
        allowListGiven: Bool = false, defaultAction: ListAction? = nil
    ) {
        self.allowFiles = allowFiles
        self.denyFiles = denyFiles
        inline = allow.map { ($0, .allow) } + deny.map { ($0, .deny) }
        self.defaultAction = defaultAction ?? (allow.isEmpty && allowFiles.isEmpty && !allowListGiven ? .allow : .deny)
    }

    /// Largest list file accepted: far above a million prefixes (about 18 MB), far below
    /// what would exhaust memory.
    static let maximumFileSize = 256 << 20

    /// One loaded version of every file.
    public struct Loaded: Sendable {
        public let policy: IplistPolicy
    }

    /// Reads every file and builds the policy. Any error (missing file, bad line) fails the
    /// whole load: half a list is never put in force.
    public func load() throws(ListError) -> Loaded {
        var snapshots: [FileSnapshot] = []
        for path in files {
            do {
                snapshots.append(try FileSnapshot.read(path, maximumSize: Self.maximumFileSize))
            } catch {
                throw ListError(error)
            }
        }
        return Loaded(policy: try policy(from: snapshots))
    }

    /// Builds the policy from the inline entries and a snapshot of each file, in `files` order.
    func policy(from snapshots: [FileSnapshot]) throws(ListError) -> IplistPolicy {
        var builder = IPList.Builder()
        for (prefix, action) in inline { builder.add(prefix, action) }
        let actions = allowFiles.map { _ in ListAction.allow } + denyFiles.map { _ in ListAction.deny }
        for (snapshot, action) in zip(snapshots, actions) {
            try ListParser.parse(snapshot.bytes, source: snapshot.path, action: action, into: &builder)
        }
        return IplistPolicy(list: IPList(builder), defaultAction: defaultAction)
    }

    /// Every file, allow files first: the order `policy(from:)` expects.
    var files: [String] { allowFiles + denyFiles }
}
