import CLibpam
import CPortcullisPlugin
import Foundation
import PamPlugin
import PortcullisPluginKit

let secondsPerFigure = Double(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 2.0

struct Setup {
    let confdir: String
    /// root is a system account, so an allow also pays for the NSS lookups of uid, gid and groups.
    let matrixUser = "root"
    let matrixPassword = "correct horse"
    var unixUser: String?
    let unixPassword = "bench-Passw0rd"
}

/// Runs `body` on `threads` threads of their own for `seconds`; returns checks per second and
/// whether every answer was the expected one.
func measure(threads: Int, _ makeWorker: @escaping @Sendable () -> (@Sendable () -> Bool)) -> (rate: Double, correct: Bool) {
    let lock = NSLock()
    nonisolated(unsafe) var total = 0
    nonisolated(unsafe) var correct = true
    let group = DispatchGroup()
    let start = DispatchSemaphore(value: 0)
    let clock = ContinuousClock()
    let deadline = LockedBox<ContinuousClock.Instant?>(nil)
    for _ in 0..<threads {
        group.enter()
        Thread {
            let work = makeWorker()
            start.wait()
            var count = 0, ok = true
            while let end = deadline.value, clock.now < end {
                ok = work() && ok
                count += 1
            }
            lock.withLock {
                total += count
                correct = correct && ok
            }
            group.leave()
        }.start()
    }
    let began = clock.now
    deadline.value = began + .seconds(secondsPerFigure)
    for _ in 0..<threads { start.signal() }
    group.wait()
    let elapsed = clock.now - began
    let seconds = elapsed.seconds
    return lock.withLock { (Double(total) / seconds, correct) }
}

final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

// MARK: - The plugin, through its C entry point

struct Descriptor: @unchecked Sendable {
    let raw: UnsafePointer<pc_plugin_descriptor>
}

let descriptor = Descriptor(raw: PluginExport.descriptor(for: PamPlugin.self).assumingMemoryBound(to: pc_plugin_descriptor.self))

/// Never freed: a benchmark's strings live as long as the process.
func cString(_ text: String) -> pc_str {
    let bytes = Array(text.utf8)
    let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
    for (index, byte) in bytes.enumerated() { copy[index] = CChar(bitPattern: byte) }
    return pc_str(data: copy, length: bytes.count)
}

/// A plugin instance made with `arguments`, as the host's loader would.
func makeInstance(_ arguments: [(String, String)]) -> Instance {
    let pairs = arguments.map { pc_pair(name: cString($0.0), value: cString($0.1)) }
    var instance: UnsafeMutableRawPointer?
    var error = [CChar](repeating: 0, count: 512)
    var host = pc_host()
    host.struct_size = UInt32(MemoryLayout<pc_host>.size)
    let status = pairs.withUnsafeBufferPointer { pairs in
        descriptor.raw.pointee.create?(&host, pairs.baseAddress, pairs.count, &instance, &error, error.count) ?? 1
    }
    guard status == 0, let instance else {
        fatalError("create failed: \(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
    }
    return Instance(raw: instance)
}

struct Instance: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
}

/// One thread's request (Basic user/password from 127.0.0.1) and the check through the ABI.
func pluginWorker(instance: Instance, user: String, password: String, expect: UInt32) -> @Sendable () -> Bool {
    let request = UnsafeMutablePointer<pc_request>.allocate(capacity: 1)
    request.initialize(to: pc_request())
    request.pointee.struct_size = UInt32(MemoryLayout<pc_request>.size)
    request.pointee.method = cString("GET")
    request.pointee.path = cString("/")
    request.pointee.client.family = PC_ADDRESS_IPV4
    request.pointee.client.bytes.0 = 127
    request.pointee.client.bytes.3 = 1
    request.pointee.peer = request.pointee.client
    request.pointee.credential.kind = PC_CREDENTIAL_BASIC
    request.pointee.credential.scheme = cString("Basic")
    request.pointee.credential.user = cString(user)
    request.pointee.credential.password = cString(password)
    let state = WorkerState(instance: instance.raw, request: request)
    return {
        var result = pc_result()
        result.struct_size = UInt32(MemoryLayout<pc_result>.size)
        descriptor.raw.pointee.check?(state.instance, state.request, &result)
        let verdict = result.verdict
        descriptor.raw.pointee.release?(state.instance, &result)
        return verdict == expect
    }
}

struct WorkerState: @unchecked Sendable {
    let instance: UnsafeMutableRawPointer
    let request: UnsafeMutablePointer<pc_request>
}

// MARK: - The comparison: bare libpam, no plugin layer

/// Answers every echo-off prompt with the password in appdata_ptr (a C string).
let bareConversation: @convention(c) (
    Int32, UnsafeMutablePointer<UnsafePointer<pam_message>?>?,
    UnsafeMutablePointer<UnsafeMutablePointer<pam_response>?>?, UnsafeMutableRawPointer?
) -> Int32 = { count, messages, responses, appdata in
    guard let messages, let responses, let appdata,
        let replies = calloc(Int(count), MemoryLayout<pam_response>.stride)?.assumingMemoryBound(to: pam_response.self)
    else { return PAM_CONV_ERR }
    for index in 0..<Int(count) where messages[index]?.pointee.msg_style == PAM_PROMPT_ECHO_OFF {
        replies[index].resp = strdup(appdata.assumingMemoryBound(to: CChar.self))
    }
    responses.pointee = replies
    return PAM_SUCCESS
}

func bareWorker(service: String, confdir: String, user: String, password: String, expectSuccess: Bool) -> @Sendable () -> Bool {
    let strings = BareStrings(service: cCopy(service), confdir: cCopy(confdir), user: cCopy(user), password: cCopy(password))
    return {
        var conv = pam_conv(conv: bareConversation, appdata_ptr: UnsafeMutableRawPointer(strings.password))
        var handle: OpaquePointer?
        var status = pam_start_confdir(strings.service, strings.user, &conv, strings.confdir, &handle)
        guard let handle else { return false }
        if status == PAM_SUCCESS { status = pam_set_item(handle, PAM_RHOST, "127.0.0.1") }
        if status == PAM_SUCCESS { status = pam_authenticate(handle, 0) }
        if status == PAM_SUCCESS { status = pam_acct_mgmt(handle, 0) }
        pam_end(handle, status)
        return (status == PAM_SUCCESS) == expectSuccess
    }
}

struct BareStrings: @unchecked Sendable {
    let service, confdir, user, password: UnsafeMutablePointer<CChar>
}

/// A NUL-terminated copy that lives as long as the process.
func cCopy(_ text: String) -> UnsafeMutablePointer<CChar> {
    let bytes = text.utf8CString
    let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
    for (index, byte) in bytes.enumerated() { copy[index] = byte }
    return copy
}

// MARK: - Setup

func shell(_ tool: String, _ arguments: [String], input: String? = nil) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let stdin = Pipe()
    process.standardInput = stdin
    guard (try? process.run()) != nil else { return false }
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try? stdin.fileHandleForWriting.close()
    process.waitUntilExit()
    return process.terminationStatus == 0
}

func makeSetup() throws -> Setup {
    var template = Array("/tmp/bench-pam-XXXXXX".utf8CString)
    guard let path = mkdtemp(&template) else { fatalError("mkdtemp failed") }
    let confdir = String(cString: path)
    chmod(confdir, 0o755)
    #if arch(x86_64)
    let matrix = "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so"
    #else
    let matrix = "/usr/lib/aarch64-linux-gnu/pam_wrapper/pam_matrix.so"
    #endif
    var setup = Setup(confdir: confdir)
    try "\(setup.matrixUser):\(setup.matrixPassword):matrix\n".write(toFile: confdir + "/passdb", atomically: true, encoding: .utf8)
    try "auth required \(matrix) passdb=\(confdir)/passdb\naccount required \(matrix) passdb=\(confdir)/passdb\n"
        .write(toFile: confdir + "/matrix", atomically: true, encoding: .utf8)
    try "auth required pam_unix.so nodelay\naccount required pam_unix.so\n"
        .write(toFile: confdir + "/unix", atomically: true, encoding: .utf8)
    if geteuid() == 0 {
        let user = "pcbench\(getpid())"
        if shell("/usr/sbin/useradd", ["--no-create-home", "--shell", "/usr/sbin/nologin", user]) {
            setup.unixUser = user
            _ = shell("/usr/sbin/chpasswd", [], input: "\(user):\(setup.unixPassword)\n")
        }
    }
    return setup
}

func format(_ value: Double) -> String { String(format: "%.0f", value) }

func row(_ figure: String, _ plugin: (rate: Double, correct: Bool), _ comparison: String, _ bare: (rate: Double, correct: Bool)) {
    print("\(figure)\t\(format(plugin.rate))\tchecks/s\t\(comparison)\t\(format(bare.rate))\t\(String(format: "%.2f", plugin.rate / bare.rate))")
    if !plugin.correct || !bare.correct {
        FileHandle.standardError.write(Data("warning: \(figure): some answers were wrong\n".utf8))
    }
}

// MARK: - Run

func run() throws {
    let setup = try makeSetup()
    defer {
        if let user = setup.unixUser { _ = shell("/usr/sbin/userdel", [user]) }
        try? FileManager.default.removeItem(atPath: setup.confdir)
    }

    let matrixInstance = makeInstance([("service", "matrix"), ("confdir", setup.confdir), ("max_concurrent", "64")])
    for threads in [1, 2, 8] {
        let plugin = measure(threads: threads) {
            pluginWorker(instance: matrixInstance, user: setup.matrixUser, password: setup.matrixPassword, expect: PC_VERDICT_ALLOW)
        }
        let bare = measure(threads: threads) {
            bareWorker(service: "matrix", confdir: setup.confdir, user: setup.matrixUser, password: setup.matrixPassword, expectSuccess: true)
        }
        row("pam_matrix allow, \(threads) in flight", plugin, "bare libpam loop", bare)
    }
    do {
        let plugin = measure(threads: 1) {
            pluginWorker(instance: matrixInstance, user: setup.matrixUser, password: "wrong", expect: PC_VERDICT_DENY)
        }
        let bare = measure(threads: 1) {
            bareWorker(service: "matrix", confdir: setup.confdir, user: setup.matrixUser, password: "wrong", expectSuccess: false)
        }
        row("pam_matrix deny (wrong password), 1 in flight", plugin, "bare libpam loop", bare)
    }

    if let user = setup.unixUser {
        let unixInstance = makeInstance([("service", "unix"), ("confdir", setup.confdir), ("max_concurrent", "64")])
        for threads in [1, 2, 8] {
            let plugin = measure(threads: threads) {
                pluginWorker(instance: unixInstance, user: user, password: setup.unixPassword, expect: PC_VERDICT_ALLOW)
            }
            let bare = measure(threads: threads) {
                bareWorker(service: "unix", confdir: setup.confdir, user: user, password: setup.unixPassword, expectSuccess: true)
            }
            row("pam_unix allow (/etc/shadow, yescrypt), \(threads) in flight", plugin, "bare libpam loop", bare)
        }
    } else {
        FileHandle.standardError.write(Data("pam_unix figures skipped: they need root to create a benchmark account\n".utf8))
    }
}
