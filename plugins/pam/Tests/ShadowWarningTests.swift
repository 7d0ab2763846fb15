import Foundation
import PortcullisTestSupport
import XCTest

@testable import PamPlugin

/// An unprivileged daemon whose service uses pam_unix can verify no account but its own; `config
/// check` must say so. Run for real: the CLI as root, and as user 65534 through setpriv(1).
final class ShadowWarningTests: XCTestCase {
    func testServiceFileScanFollowsIncludes() throws {
        let fixture = try PamFixture()
        try fixture.writeService("common-auth", """
            # pam_unix, as Debian writes it
            auth [success=1 default=ignore] \\
                 pam_unix.so nullok
            auth requisite pam_deny.so
            """)
        try fixture.writeService("viainclude", "@include common-auth\naccount required pam_permit.so\n")
        try fixture.writeService("viasubstack", "-auth substack common-auth\n")
        try fixture.writeService("absolute", "account required /usr/lib/x86_64-linux-gnu/security/pam_unix.so\n")
        try fixture.writeService("commented", "# auth required pam_unix.so\nauth required pam_permit.so # pam_unix.so\n")
        try fixture.writeService("password", "password required pam_unix.so\n")
        try fixture.writeService("loop", "@include loop\nauth required pam_permit.so\n")
        let file = PamServiceFile(directory: fixture.directory)
        for service in ["common-auth", "viainclude", "viasubstack", "absolute"] {
            XCTAssertTrue(file.uses("pam_unix.so", service: service, types: ["auth", "account"]), service)
        }
        for service in ["commented", "password", "loop", "missing"] {
            XCTAssertFalse(file.uses("pam_unix.so", service: service, types: ["auth", "account"]), service)
        }
    }

    func testConfigCheckWarnsWhenTheDaemonCannotReadShadow() throws {
        let fixture = try PamFixture()
        XCTAssertEqual(chmod(fixture.directory, 0o755), 0)
        try fixture.writeService("common-auth", "auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\n")
        try fixture.writeService("unix", "@include common-auth\n")
        try fixture.writeService("matrix", "auth required \(PamFixture.pamMatrix) passdb=/nonexistent\n")
        let config = fixture.directory + "/portcullis.toml"
        try """
            [[stack.unix]]
            plugin = "pam"
            control = "required"
            service = "unix"
            confdir = "\(fixture.directory)"

            [[stack.matrix]]
            plugin = "pam"
            control = "required"
            service = "matrix"
            confdir = "\(fixture.directory)"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(config, 0o644), 0)
        let portcullis = TestSupport.binDirectory + "/portcullis"

        let asRoot = try TestSupport.run(portcullis, ["config", "check", config])
        XCTAssertEqual(asRoot.status, 0, asRoot.stderr)
        XCTAssertFalse(asRoot.stdout.contains("warning"), "root reads /etc/shadow: \(asRoot.stdout)")

        let unprivileged = try TestSupport.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", portcullis, "config", "check", config])
        XCTAssertEqual(unprivileged.status, 0, unprivileged.stderr)
        let warnings = unprivileged.stdout.split(separator: "\n").filter { $0.contains("warning:") }
        XCTAssertEqual(warnings.count, 1, unprivileged.stdout)
        XCTAssertTrue(warnings.first?.contains("stack.unix[0] (pam): pam: \(fixture.directory)/unix uses pam_unix, but this process (uid 65534) cannot read /etc/shadow") ?? false,
                      unprivileged.stdout)
    }
}
