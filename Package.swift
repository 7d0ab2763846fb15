// swift-tools-version:6.0
import PackageDescription

// Portcullis builds for Linux only (Glibc, libpam, libxcrypt), so no platform is declared.
let package = Package(
    name: "Portcullis",
    products: [
        .executable(name: "portcullis", targets: ["PortcullisCLI"]),
        .library(name: "Portcullis", targets: ["Portcullis"]),
        .library(name: "PortcullisPluginKit", targets: ["PortcullisPluginKit"]),
        // Hummingbird middleware: protects routes with a named stack.
        .library(name: "PortcullisHummingbird", targets: ["PortcullisHummingbird"]),
        // Vapor middleware: the same runtime, the principal on `request.auth`. Only this product builds Vapor.
        .library(name: "PortcullisVapor", targets: ["PortcullisVapor"]),
        // Plugins are dynamic libraries, loaded with dlopen, never linked into the host. The Swift
        // plugins of plugins/ add theirs below (`addSwiftPlugin`).
        .library(name: "portcullis-debug", type: .dynamic, targets: ["DebugPlugin"]),
        // The example plugin of docs/plugin-abi.md, built and loaded by the tests so the example compiles and works.
        .library(name: "portcullis-methods", type: .dynamic, targets: ["MethodsPluginExport"]),
        .executable(name: "bench-host", targets: ["BenchHost"]),
    ],
    // Floors are the versions this package is built and tested with: the package mirrors hold no
    // older release to prove a lower one (swift-nio's async NIOThreadPool.runIfActive and NIO's
    // global executor, for one, are recent).
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // HTTP request/response parts, to see request heads in the daemon's connection guard.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // The PostgreSQL store backend ([store] backend = "postgres"); only PortcullisPostgresStore links it.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // The Vapor middleware (PortcullisVapor); no other target links it.
        .package(url: "https://github.com/vapor/vapor", from: "4.122.3"),
        // W3C `traceparent` parsing and validation, for the decision log's trace id.
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context", from: "1.0.0"),
    ],
    targets: [
        // The host protocol: one C header every plugin implements.
        .target(name: "CPortcullisPlugin"),
        // The same vocabulary (reasons, verdicts, credential kinds, base64) for Swift code on either side.
        .target(name: "PortcullisProtocol", dependencies: ["CPortcullisPlugin", "PortcullisNetwork"]),
        // IP addresses and CIDR prefixes, shared by the host's proxy resolver and the iplist plugin.
        .target(name: "PortcullisNetwork"),
        // Keyed MACs and constant-time comparison, shared by the host's cache keys and the crypt and hmac plugins.
        .target(name: "PortcullisCrypto", dependencies: [crypto]),
        // The thin Swift SDK for plugin authors.
        .target(name: "PortcullisPluginKit", dependencies: ["CPortcullisPlugin", "PortcullisProtocol", "PortcullisNetwork"]),
        // The host: config, loader, stacks, dispatcher, outcome and its HTTP mapping.
        .target(
            name: "Portcullis",
            dependencies: [
                "CPortcullisPlugin", "PortcullisProtocol", "PortcullisNetwork", "PortcullisCrypto", tomlKit, logging, crypto,
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        // How a request is decided, for every way in: snapshot, pool, deadline, log, observers.
        .target(
            name: "PortcullisRuntime",
            dependencies: [
                "Portcullis", "PortcullisProtocol", logging, nioPosix,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
            ]
        ),

        // The shared store on PostgreSQL, for a fleet of daemons. Only the daemon and the CLI link it,
        // so the host and the plugins never carry a database client.
        .target(
            name: "PortcullisPostgresStore",
            dependencies: [
                "Portcullis", logging, nioCore, .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // The ways in. Hummingbird adapter: request/response conversion and the middleware.
        .target(
            name: "PortcullisHummingbird",
            dependencies: ["Portcullis", "PortcullisNetwork", "PortcullisRuntime", hummingbird, httpTypes, nioCore]
        ),
        // Vapor adapter: an AsyncMiddleware on the same runtime, the identity as an Authenticatable.
        .target(name: "PortcullisVapor", dependencies: ["Portcullis", "PortcullisNetwork", "PortcullisRuntime", .product(name: "Vapor", package: "vapor")]),
        // The forward-auth daemon behind `portcullis serve`.
        .target(
            name: "PortcullisServer",
            dependencies: [
                "Portcullis", "PortcullisHummingbird", "PortcullisRuntime", "PortcullisProtocol", "PortcullisNetwork",
                hummingbird, .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                nioCore, nioPosix, .product(name: "NIOHTTPTypes", package: "swift-nio-extras"), logging,
            ]
        ),
        .executableTarget(
            name: "PortcullisCLI",
            dependencies: [
                "Portcullis", "PortcullisProtocol", "PortcullisNetwork", "PortcullisServer", "PortcullisRuntime",
                "PortcullisPostgresStore", argumentParser, nioCore, nioPosix,
            ]
        ),

        // plugins/debug: a scriptable plugin in plain C; proves the ABI is language-neutral.
        .target(
            name: "DebugPlugin", dependencies: ["CPortcullisPlugin"], path: "plugins/debug",
            exclude: ["README.md"], publicHeadersPath: "."
        ),
        // Laid out as docs/plugin-abi.md shows a plugin writer's own package.
        .target(name: "MethodsPlugin", dependencies: ["PortcullisPluginKit"], path: "examples/methods-plugin/Sources"),
        .target(
            name: "MethodsPluginExport", dependencies: ["MethodsPlugin", "PortcullisPluginKit"],
            path: "examples/methods-plugin/Export"
        ),
        .executableTarget(name: "BenchHost", dependencies: ["Portcullis", "CPortcullisPlugin"], path: "bench/host"),

        // Helpers shared by every test target (temporary directories, processes, C plugins, paths).
        .target(
            name: "PortcullisTestSupport", dependencies: ["Portcullis", .product(name: "InMemoryLogging", package: "swift-log")],
            path: "Tests/PortcullisTestSupport"
        ),
        .testTarget(
            name: "PortcullisTests",
            dependencies: ["Portcullis", "PortcullisProtocol", "PortcullisNetwork", "PortcullisTestSupport"]
        ),
        .testTarget(name: "PortcullisProtocolTests", dependencies: ["PortcullisProtocol"]),
        .testTarget(name: "PortcullisCryptoTests", dependencies: ["PortcullisCrypto", crypto]),
        // The PostgreSQL store against a real cluster the tests start (initdb, pg_ctl).
        .testTarget(
            name: "PortcullisPostgresStoreTests",
            dependencies: [
                "Portcullis", "PortcullisPostgresStore", "PortcullisTestSupport", logging,
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        // The SDK on its own: its descriptor called as the host calls it, its watched files, its request.
        .testTarget(
            name: "PortcullisPluginKitTests",
            dependencies: ["PortcullisPluginKit", "CPortcullisPlugin", "PortcullisTestSupport"]
        ),
        // The daemon, the middleware, the cache through real plugins and the reload test.
        .testTarget(
            name: "PortcullisServerTests",
            dependencies: [
                "Portcullis", "PortcullisServer", "PortcullisHummingbird", "PortcullisProtocol", "PortcullisNetwork",
                "PortcullisTestSupport", hummingbird, .product(name: "HummingbirdTesting", package: "hummingbird"),
                httpTypes, logging, .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        // The Vapor middleware through real plugins, compared with the daemon's answer.
        .testTarget(
            name: "PortcullisVaporTests",
            dependencies: [
                "PortcullisVapor", "Portcullis", "PortcullisServer", "PortcullisTestSupport", logging,
                .product(name: "XCTVapor", package: "vapor"),
                // The daemon's side of the comparison, on its real responder.
                hummingbird, .product(name: "HummingbirdTesting", package: "hummingbird"), httpTypes,
            ]
        ),
    ]
)

// MARK: - The Swift plugins of plugins/

package.targets += [
    .systemLibrary(
        name: "CLibxcrypt", path: "plugins/crypt/CLibxcrypt", pkgConfig: "libxcrypt", providers: [.apt(["libcrypt-dev"])]
    ),
    .systemLibrary(name: "CLibpam", path: "plugins/pam/CLibpam", pkgConfig: "pam", providers: [.apt(["libpam0g-dev"])]),
]

// `portcullis hash` and `portcullis token …` exec these tools, so the host never links plugin code.
addSwiftPlugin(
    "crypt", dependencies: ["CLibxcrypt", "PortcullisCrypto", crypto], tool: (product: "portcullis-hash", target: "PortcullisHashTool"),
    bench: ["CLibxcrypt", crypto], tests: ["CLibxcrypt"]
)
addSwiftPlugin("csrf", tests: [logging])
addSwiftPlugin(
    "hmac", dependencies: ["PortcullisCrypto", crypto], tool: (product: "portcullis-token", target: "PortcullisTokenTool"),
    bench: [crypto], tests: [crypto, logging]
)
addSwiftPlugin("iplist", bench: [], tests: [logging])
addSwiftPlugin("pam", dependencies: ["CLibpam"], bench: ["CPortcullisPlugin", "CLibpam"])
addSwiftPlugin("faillock", bench: ["Portcullis", "PortcullisProtocol", "PortcullisPostgresStore", logging], tests: [logging, "PortcullisProtocol", "PortcullisRuntime"])
addSwiftPlugin("authz", dependencies: [tomlKit, "PortcullisNetwork"], bench: [], tests: [logging, "CryptPlugin", "HmacPlugin", crypto])

/// Declares the Swift plugin of plugins/NAME (for "crypt"):
/// - `CryptPlugin` (plugins/crypt/Sources/CryptPlugin): the plugin on the SDK, plus `dependencies`;
/// - `CryptPluginExport` (plugins/crypt/Export): only the entry point, the one target of the
///   `.dynamic` product `portcullis-crypt`, so no test links a second copy of the plugin;
/// - `tool`, if given: an executable at plugins/crypt/Tool on the plugin and ArgumentParser;
/// - `bench`, if given: `BenchCrypt` (bench/crypt), the executable `bench-crypt`, on the plugin,
///   the SDK and these;
/// - `CryptPluginTests` (plugins/crypt/Tests) on the plugin, the SDK, the host, the test support and `tests`.
@MainActor func addSwiftPlugin(
    _ name: String, dependencies: [Target.Dependency] = [], tool: (product: String, target: String)? = nil,
    bench: [Target.Dependency]? = nil, tests: [Target.Dependency] = []
) {
    let title = name.prefix(1).uppercased() + name.dropFirst()
    let plugin = "\(title)Plugin"
    package.products.append(.library(name: "portcullis-\(name)", type: .dynamic, targets: ["\(plugin)Export"]))
    package.targets += [
        .target(name: plugin, dependencies: ["PortcullisPluginKit"] + dependencies, path: "plugins/\(name)/Sources/\(plugin)"),
        .target(name: "\(plugin)Export", dependencies: [.target(name: plugin), "PortcullisPluginKit"], path: "plugins/\(name)/Export"),
        .testTarget(
            name: "\(plugin)Tests",
            dependencies: [.target(name: plugin), "PortcullisPluginKit", "Portcullis", "PortcullisTestSupport"] + tests,
            path: "plugins/\(name)/Tests"
        ),
    ]
    if let tool {
        package.products.append(.executable(name: tool.product, targets: [tool.target]))
        package.targets.append(
            .executableTarget(name: tool.target, dependencies: [.target(name: plugin), argumentParser], path: "plugins/\(name)/Tool")
        )
    }
    if let bench {
        package.products.append(.executable(name: "bench-\(name)", targets: ["Bench\(title)"]))
        package.targets.append(
            .executableTarget(name: "Bench\(title)", dependencies: [.target(name: plugin), "PortcullisPluginKit"] + bench, path: "bench/\(name)")
        )
    }
}

// MARK: - Products of the dependencies, by the names the targets use

var argumentParser: Target.Dependency { .product(name: "ArgumentParser", package: "swift-argument-parser") }
var tomlKit: Target.Dependency { .product(name: "TOMLKit", package: "TOMLKit") }
var logging: Target.Dependency { .product(name: "Logging", package: "swift-log") }
var crypto: Target.Dependency { .product(name: "Crypto", package: "swift-crypto") }
var hummingbird: Target.Dependency { .product(name: "Hummingbird", package: "hummingbird") }
var httpTypes: Target.Dependency { .product(name: "HTTPTypes", package: "swift-http-types") }
var nioCore: Target.Dependency { .product(name: "NIOCore", package: "swift-nio") }
var nioPosix: Target.Dependency { .product(name: "NIOPosix", package: "swift-nio") }

// MARK: - Strict settings for every Swift target, in one place

let strictSwift: [SwiftSetting] = [
    // SE-0335: existential types are spelled `any P`.
    .enableUpcomingFeature("ExistentialAny"),
    // SE-0409: an import is internal unless marked `public import`.
    .enableUpcomingFeature("InternalImportsByDefault"),
]

for target in package.targets where [.regular, .executable, .test].contains(target.type) {
    target.swiftSettings = (target.swiftSettings ?? []) + strictSwift
}
