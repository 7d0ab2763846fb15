import Foundation
import PortcullisTestSupport
import XCTest

@testable import Portcullis

/// The loader against real files: the SwiftPM-built debug plugin, the same source built with
/// plain `cc`, and broken plugins compiled by the test.
final class PluginLoaderTests: XCTestCase {
    func testLoadsTheBuiltDebugPlugin() throws {
        let library = try PluginLoader.load(name: "debug", directory: TestSupport.binDirectory)
        XCTAssertEqual(library.name, "debug")
        XCTAssertEqual(library.version, "1.1.0")
        XCTAssertEqual(library.abiMajor, 1)
        XCTAssertEqual(library.abiMinor, 2)
        XCTAssertFalse(library.isBlocking)
        XCTAssertTrue(library.path.hasSuffix("/libportcullis-debug.so"))
    }

    func testDefaultDirectoryIsTheExecutablesDirectory() throws {
        XCTAssertTrue(FileManager.default.fileExists(atPath: TestSupport.binDirectory + "/libportcullis-debug.so"))
        let gatekeeper = try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "alice"
            """)
        XCTAssertEqual(gatekeeper.evaluate(AuthRequest(peer: IPAddress("127.0.0.1"))).principal, "alice")
    }

    /// The ABI is language-neutral: the debug plugin built by `cc` alone loads and answers.
    func testPluginBuiltWithPlainCCompilerLoads() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let source = try String(contentsOfFile: TestSupport.repositoryRoot + "/plugins/debug/debug.c", encoding: .utf8)
        try TestSupport.compilePlugin(source: source, to: directory + "/libportcullis-debug.so")
        let linked = try TestSupport.run("/usr/bin/env", ["ldd", directory + "/libportcullis-debug.so"]).stdout
        XCTAssertFalse(linked.contains("swift"), "a plain C plugin needs no Swift runtime:\n\(linked)")

        let gatekeeper = try TestSupport.gatekeeper("""
            plugin_dir = "\(directory)"
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            principal = "$user"
            """)
        XCTAssertEqual(gatekeeper.plugins.first?.path, directory + "/libportcullis-debug.so")
        let outcome = gatekeeper.evaluate(AuthRequest(headers: [("Authorization", .basic("carol", "pw"))], peer: IPAddress("::1")))
        XCTAssertEqual(outcome.decision, .allow)
        XCTAssertEqual(outcome.principal, "carol")
    }

    func testMissingFile() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        XCTAssertThrowsError(try PluginLoader.load(name: "nothere", directory: directory)) { error in
            XCTAssertEqual(error as? PluginLoadError, .fileMissing(plugin: "nothere", path: directory + "/libportcullis-nothere.so"))
            XCTAssertTrue("\(error)".contains("does not exist"))
        }
    }

    func testInvalidNameIsRefusedBeforeAnyFileIsTouched() {
        for name in ["../etc/passwd", "Crypt", "", "a/b", "x.so"] {
            XCTAssertThrowsError(try PluginLoader.load(name: name, directory: "/tmp")) { error in
                XCTAssertEqual(error as? PluginLoadError, .invalidName(name))
            }
        }
    }

    func testNotARegularFile() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: directory + "/libportcullis-dir.so", withIntermediateDirectories: false)
        XCTAssertThrowsError(try PluginLoader.load(name: "dir", directory: directory)) { error in
            XCTAssertEqual(error as? PluginLoadError, .notRegularFile(plugin: "dir", path: directory + "/libportcullis-dir.so"))
        }
    }

    func testGroupOrWorldWritableFilesAreRefused() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        for (name, mode) in [("groupw", 0o775), ("worldw", 0o757)] {
            let path = directory + "/libportcullis-\(name).so"
            try FileManager.default.copyItem(atPath: TestSupport.binDirectory + "/libportcullis-debug.so", toPath: path)
            XCTAssertEqual(chmod(path, mode_t(mode)), 0)
            XCTAssertThrowsError(try PluginLoader.load(name: name, directory: directory)) { error in
                guard case .unsafePermissions(name, path, _)? = error as? PluginLoadError else {
                    return XCTFail("expected unsafePermissions, got \(error)")
                }
                XCTAssertTrue("\(error)".contains("writable by group or others"), "\(error)")
            }
        }
    }

    /// Whoever can write a directory on the way can swap the plugin: refused, whatever the file's mode.
    func testWorldWritableParentDirectoryIsRefused() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let shared = directory + "/shared"
        XCTAssertEqual(mkdir(shared, 0o755), 0)
        XCTAssertEqual(chmod(shared, 0o777), 0)
        let path = shared + "/libportcullis-debug.so"
        try FileManager.default.copyItem(atPath: TestSupport.binDirectory + "/libportcullis-debug.so", toPath: path)
        XCTAssertEqual(chmod(path, 0o644), 0)
        XCTAssertThrowsError(try PluginLoader.load(name: "debug", directory: shared)) { error in
            XCTAssertEqual(error as? PluginLoadError, .unsafeDirectoryPermissions(plugin: "debug", path: path, directory: shared, mode: 0o40777))
            XCTAssertEqual("\(error)", "plugin 'debug': refusing \(path): its directory \(shared) is writable by group or others (mode 777); expected at most 755, or a root-owned sticky directory")
        }
        // Group-writable is as bad; a root-owned sticky directory (like /tmp itself) is fine.
        XCTAssertEqual(chmod(shared, 0o775), 0)
        XCTAssertThrowsError(try PluginLoader.load(name: "debug", directory: shared))
        XCTAssertEqual(chmod(shared, 0o1777), 0)
        XCTAssertEqual(try PluginLoader.load(name: "debug", directory: shared).name, "debug")
    }

    func testDirectoryOwnedBySomeoneElseIsRefused() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let theirs = directory + "/theirs"
        XCTAssertEqual(mkdir(theirs, 0o755), 0)
        let path = theirs + "/libportcullis-debug.so"
        try FileManager.default.copyItem(atPath: TestSupport.binDirectory + "/libportcullis-debug.so", toPath: path)
        XCTAssertEqual(chown(theirs, 65534, 65534), 0, "the tests run as root")
        XCTAssertThrowsError(try PluginLoader.load(name: "debug", directory: theirs)) { error in
            XCTAssertEqual(error as? PluginLoadError, .unsafeDirectoryOwner(plugin: "debug", path: path, directory: theirs, owner: 65534))
        }
    }

    /// Debian alternatives make plugin paths symlinks: one to a good file loads, and the file
    /// behind it is what is checked.
    func testSymlinkToAGoodFileLoads() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let real = directory + "/real-debug.so"
        try FileManager.default.copyItem(atPath: TestSupport.binDirectory + "/libportcullis-debug.so", toPath: real)
        XCTAssertEqual(symlink(real, directory + "/libportcullis-debug.so"), 0)
        XCTAssertEqual(try PluginLoader.load(name: "debug", directory: directory).name, "debug")
        // The same symlink to a group-writable file is refused: the target is what counts.
        XCTAssertEqual(chmod(real, 0o664), 0)
        XCTAssertThrowsError(try PluginLoader.load(name: "debug", directory: directory)) { error in
            XCTAssertEqual(error as? PluginLoadError, .unsafePermissions(plugin: "debug", path: directory + "/libportcullis-debug.so", mode: 0o100664))
        }
    }

    /// A good-looking symlink in a safe directory that points into a writable one is refused:
    /// every directory of the resolved path is checked.
    func testSymlinkIntoAWritableDirectoryIsRefused() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let drop = directory + "/drop"
        XCTAssertEqual(mkdir(drop, 0o755), 0)
        XCTAssertEqual(chmod(drop, 0o777), 0)
        let target = drop + "/evil.so"
        // The constructor would run at dlopen, before any name check: it must never get there.
        let marker = directory + "/constructor-ran"
        try TestSupport.compilePlugin(source: """
            #include <stdio.h>
            __attribute__((constructor)) static void run(void) { FILE *f = fopen("\(marker)", "w"); if (f) fclose(f); }

            """ + Self.descriptorSource(name: "debug", major: "1", size: "sizeof(pc_plugin_descriptor)"), to: target)
        XCTAssertEqual(chmod(target, 0o644), 0)
        let safe = directory + "/plugins"
        XCTAssertEqual(mkdir(safe, 0o755), 0)
        XCTAssertEqual(symlink(target, safe + "/libportcullis-debug.so"), 0)
        XCTAssertThrowsError(try PluginLoader.load(name: "debug", directory: safe)) { error in
            XCTAssertEqual(error as? PluginLoadError,
                           .unsafeDirectoryPermissions(plugin: "debug", path: safe + "/libportcullis-debug.so", directory: drop, mode: 0o40777))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the refused library's constructor ran")
    }

    /// A FIFO in the plugin's place is refused without hanging the open.
    func testFIFOIsRefusedPromptly() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let path = directory + "/libportcullis-fifo.so"
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        XCTAssertThrowsError(try PluginLoader.load(name: "fifo", directory: directory)) { error in
            XCTAssertEqual(error as? PluginLoadError, .notRegularFile(plugin: "fifo", path: path))
        }
    }

    func testFileThatIsNotALibrary() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let path = directory + "/libportcullis-text.so"
        try "not an ELF file".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PluginLoader.load(name: "text", directory: directory)) { error in
            guard case .notLoadable("text", path, let reason)? = error as? PluginLoadError else {
                return XCTFail("expected notLoadable, got \(error)")
            }
            XCTAssertFalse(reason.isEmpty, "the dlerror text is reported")
        }
    }

    func testLibraryWithoutTheEntrySymbol() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.compilePlugin(source: "int something_else(void) { return 1; }\n", to: directory + "/libportcullis-noentry.so")
        XCTAssertThrowsError(try PluginLoader.load(name: "noentry", directory: directory)) { error in
            XCTAssertEqual(error as? PluginLoadError, .entryMissing(plugin: "noentry", path: directory + "/libportcullis-noentry.so"))
            XCTAssertTrue("\(error)".contains("portcullis_plugin_v1"))
        }
    }

    func testEntryReturningNoDescriptor() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.compilePlugin(source: """
            #include "portcullis_plugin.h"
            const pc_plugin_descriptor *portcullis_plugin_v1(void) { return 0; }
            """, to: directory + "/libportcullis-null.so")
        XCTAssertThrowsError(try PluginLoader.load(name: "null", directory: directory)) { error in
            XCTAssertEqual(error as? PluginLoadError, .noDescriptor(plugin: "null", path: directory + "/libportcullis-null.so"))
        }
    }

    func testABIMajorMismatchNamesBothVersions() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.compilePlugin(source: Self.descriptorSource(name: "future", major: "2", size: "sizeof(pc_plugin_descriptor)"),
                                      to: directory + "/libportcullis-future.so")
        XCTAssertThrowsError(try PluginLoader.load(name: "future", directory: directory)) { error in
            XCTAssertEqual(error as? PluginLoadError, .abiMismatch(plugin: "future", path: directory + "/libportcullis-future.so", found: 2, expected: 1))
            XCTAssertTrue("\(error)".contains("built for host protocol ABI 2.x; this host speaks ABI 1.x"), "\(error)")
        }
    }

    func testDescriptorTooSmall() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.compilePlugin(source: Self.descriptorSource(name: "small", major: "1", size: "16"), to: directory + "/libportcullis-small.so")
        XCTAssertThrowsError(try PluginLoader.load(name: "small", directory: directory)) { error in
            guard case .descriptorTooSmall("small", _, 16, let expected)? = error as? PluginLoadError else {
                return XCTFail("expected descriptorTooSmall, got \(error)")
            }
            XCTAssertGreaterThan(expected, 16)
        }
    }

    func testNameMustMatchTheConfiguration() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try FileManager.default.copyItem(atPath: TestSupport.binDirectory + "/libportcullis-debug.so", toPath: directory + "/libportcullis-crypt.so")
        XCTAssertThrowsError(try PluginLoader.load(name: "crypt", directory: directory)) { error in
            XCTAssertEqual(error as? PluginLoadError, .nameMismatch(plugin: "crypt", path: directory + "/libportcullis-crypt.so", found: "debug"))
        }
    }

    func testDescriptorMissingAFunction() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        try TestSupport.compilePlugin(source: Self.descriptorSource(name: "partial", major: "1", size: "sizeof(pc_plugin_descriptor)", check: "0"),
                                      to: directory + "/libportcullis-partial.so")
        XCTAssertThrowsError(try PluginLoader.load(name: "partial", directory: directory)) { error in
            XCTAssertEqual(error as? PluginLoadError, .incomplete(plugin: "partial", path: directory + "/libportcullis-partial.so", missing: "check"))
        }
    }

    func testExplicitPathAndEnvironmentOverride() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        let path = directory + "/custom-name.so"
        try FileManager.default.copyItem(atPath: TestSupport.binDirectory + "/libportcullis-debug.so", toPath: path)
        let gatekeeper = try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "debug"
            path = "\(path)"
            control = "required"
            result = "ignore"
            """)
        XCTAssertEqual(gatekeeper.plugins.map(\.path), [path])
    }

    /// A create() failure names the entry's file, line and key, and the plugin's own message.
    func testUnknownArgumentIsAConfigErrorWithLocation() throws {
        XCTAssertThrowsError(try TestSupport.gatekeeper("""
            [[stack.default]]
            plugin = "debug"
            control = "required"
            result = "allow"
            colour = "blue"
            """, file: "site.toml")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("site.toml:1: stack.default[0]: plugin 'debug': unknown argument"), message)
            XCTAssertTrue(message.contains("colour"), message)
        }
    }

    func testLoaderErrorsInConfigNameFileLineAndKey() throws {
        XCTAssertThrowsError(try TestSupport.gatekeeper("""
            plugin_dir = "/nonexistent-dir"

            [[stack.api]]
            plugin = "debug"
            control = "required"
            result = "allow"

            [[stack.api]]
            plugin = "missing"
            control = "required"
            """, file: "api.toml")) { error in
            XCTAssertEqual("\(error)", "api.toml:3: stack.api[0]: plugin 'debug': libportcullis-debug.so is not in the plugin directory "
                + "searched: /nonexistent-dir (plugin_dir in api.toml); install the plugin there, or set plugin_dir in the configuration "
                + "or PORTCULLIS_PLUGIN_DIR (which overrides it) to the directory that holds it")
        }
    }

    /// A minimal C plugin with a configurable descriptor.
    static func descriptorSource(name: String, major: String, size: String, check: String = "check") -> String {
        """
        #include "portcullis_plugin.h"
        static int create(const pc_host *h, const pc_pair *a, size_t n, void **i, char *e, size_t s) {
            (void)h; (void)a; (void)n; (void)e; (void)s; *i = (void *)1; return 0;
        }
        static void check(void *i, const pc_request *r, pc_result *out) { (void)i; (void)r; out->verdict = PC_VERDICT_IGNORE; }
        static void release(void *i, pc_result *r) { (void)i; (void)r; }
        static void destroy(void *i) { (void)i; }
        static const pc_plugin_descriptor descriptor = {
            .abi_major = \(major), .abi_minor = 0, .descriptor_size = \(size), .name = "\(name)", .version = "0",
            .create = create, .check = \(check), .release = release, .destroy = destroy,
        };
        const pc_plugin_descriptor *portcullis_plugin_v1(void) { (void)check; return &descriptor; }
        """
    }
}
