import Foundation
import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// ABI 1.1's option table (`pc_option`): read from the descriptor only when its size covers it,
/// the same for C and Swift plugins, and what every plugin's README documents.
final class OptionTableTests: XCTestCase {
    func testTheCDebugPluginDescribesItsArguments() throws {
        let library = try PluginLoader.load(name: "debug", directory: TestSupport.binDirectory)
        let options = try XCTUnwrap(library.options)
        XCTAssertEqual(options.map(\.name), ["result", "reason", "principal", "challenge", "detail", "cache_ttl", "echo"])
        XCTAssertEqual(options.filter(\.isRequired).map(\.name), ["result"])
        XCTAssertEqual(options.first { $0.name == "cache_ttl" }?.kind, "integer 0...86400")
        XCTAssertEqual(options.first { $0.name == "echo" }?.kind, "bool")
        XCTAssertFalse(options.contains { $0.help.isEmpty })
    }

    func testASwiftPluginsTableComesFromTheSDK() throws {
        let library = try PluginLoader.load(name: "crypt", directory: TestSupport.binDirectory)
        let options = try XCTUnwrap(library.options)
        let file = try XCTUnwrap(options.first)
        XCTAssertEqual([file.name, file.kind], ["file", "string"])
        XCTAssertTrue(file.isRequired)
        XCTAssertEqual(options.first { $0.name == "allow_plaintext" }?.kind, "bool")
        XCTAssertFalse(options.contains { $0.help.isEmpty })
        let hmac = try XCTUnwrap(PluginLoader.load(name: "hmac", directory: TestSupport.binDirectory).options)
        XCTAssertEqual(hmac.first { $0.name == "leeway" }?.kind, "integer 0...3600")
        XCTAssertEqual(hmac.first { $0.name == "audience" }?.kind, "list")
    }

    /// A 1.0 descriptor, and a 1.1 one that ends before the table, describe nothing: the host
    /// never reads past the size a plugin declared.
    func testNoTableIsReadPastTheDescriptorsSize() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.compileABI10DebugPlugin(into: directory)
        XCTAssertNil(try PluginLoader.load(name: "debug10", directory: directory).options)

        try TestSupport.compilePlugin(source: """
            #include "portcullis_plugin.h"
            static int create(const pc_host *h, const pc_pair *a, size_t n, void **i, char *e, size_t s) {
                (void)h; (void)a; (void)n; (void)e; (void)s; *i = (void *)1; return 0;
            }
            static void check(void *i, const pc_request *r, pc_result *out) { (void)i; (void)r; out->verdict = PC_VERDICT_IGNORE; }
            static void release(void *i, pc_result *r) { (void)i; (void)r; }
            static void destroy(void *i) { (void)i; }
            static const pc_option options[] = {{.name = {"x", 1}, .kind = {"string", 6}, .help = {"h", 1}}};
            static const pc_plugin_descriptor descriptor = {
                .abi_major = 1, .abi_minor = 1, .descriptor_size = offsetof(pc_plugin_descriptor, options),
                .name = "short", .version = "0", .create = create, .check = check, .release = release, .destroy = destroy,
                .options = options, .option_count = 1,
            };
            const pc_plugin_descriptor *portcullis_plugin_v1(void) { return &descriptor; }
            """, to: directory + "/libportcullis-short.so")
        XCTAssertNil(try PluginLoader.load(name: "short", directory: directory).options)
    }

    /// Each plugins/NAME/README.md documents its arguments in a table whose first column names
    /// them (`file` (required), …): exactly the names the plugin's descriptor reports.
    func testEveryPluginReadmeListsExactlyTheDescriptorsOptions() throws {
        let root = TestSupport.repositoryRoot + "/plugins"
        let names = try FileManager.default.contentsOfDirectory(atPath: root).filter {
            FileManager.default.fileExists(atPath: "\(root)/\($0)/README.md")
        }.sorted()
        XCTAssertEqual(names, ["authz", "crypt", "csrf", "debug", "faillock", "hmac", "iplist", "pam"])
        for name in names {
            let readme = try String(contentsOfFile: "\(root)/\(name)/README.md", encoding: .utf8)
            let documented = try XCTUnwrap(Self.argumentTable(readme), "plugins/\(name)/README.md has no argument table")
            let declared = try XCTUnwrap(PluginLoader.load(name: name, directory: TestSupport.binDirectory).options, name)
            XCTAssertEqual(documented.sorted(), declared.map(\.name).sorted(), "plugins/\(name)/README.md")
        }
    }

    /// The first column of the README's first table headed `argument` (or `option`): the first
    /// `code` span of each row.
    static func argumentTable(_ markdown: String) -> [String]? {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        func cells(_ line: String) -> [String] {
            line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast().map { $0.trimmingCharacters(in: .whitespaces) }
        }
        guard let header = lines.firstIndex(where: { $0.hasPrefix("|") && ["argument", "option"].contains(cells($0).first ?? "") }) else {
            return nil
        }
        var names: [String] = []
        for line in lines[(header + 2)...] {
            guard line.hasPrefix("|"), let first = cells(line).first else { break }
            let spans = first.split(separator: "`", omittingEmptySubsequences: false)
            names.append(spans.count >= 3 ? String(spans[1]) : first)
        }
        return names
    }
}
