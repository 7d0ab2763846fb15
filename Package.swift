// swift-tools-version:6.0
import PackageDescription

/// Strict settings for every Swift target, set in one place.
let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Portcullis",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "portcullis", targets: ["PortcullisCLI"]),
        .library(name: "Portcullis", targets: ["Portcullis"]),
        .library(name: "PortcullisPluginKit", targets: ["PortcullisPluginKit"]),
        // Hummingbird middleware: protects routes with a named stack (issue 7).
        .library(name: "PortcullisHummingbird", targets: ["PortcullisHummingbird"]),
        // Plugins: each its own dynamic module, loaded with dlopen, never linked into the host.
        .library(name: "portcullis-debug", type: .dynamic, targets: ["DebugPlugin"]),
        .executable(name: "bench-host", targets: ["BenchHost"]),
        // The example plugin of docs/plugin-abi.md, built and loaded by the tests so the example compiles and works.
        .library(name: "portcullis-methods", type: .dynamic, targets: ["MethodsPluginExport"]),
        // plugins/crypt (issue 3)
        .library(name: "portcullis-crypt", type: .dynamic, targets: ["CryptPluginExport"]),
        // `portcullis hash`: its own executable, so the host never links libcrypt or plugin code.
        .executable(name: "portcullis-hash", targets: ["PortcullisHashTool"]),
        .executable(name: "bench-crypt", targets: ["BenchCrypt"]),
        // plugins/hmac (issue 4)
        .library(name: "portcullis-hmac", type: .dynamic, targets: ["HmacPluginExport"]),
        // `portcullis token …` execs this, so the host never links plugin code.
        .executable(name: "portcullis-token", targets: ["PortcullisTokenTool"]),
        .executable(name: "bench-hmac", targets: ["BenchHmac"]),
        // plugins/iplist (issue 5)
        .library(name: "portcullis-iplist", type: .dynamic, targets: ["IplistPluginExport"]),
        .executable(name: "bench-iplist", targets: ["BenchIplist"]),
        // plugins/pam (issue 6)
        .library(name: "portcullis-pam", type: .dynamic, targets: ["PamPluginExport"]),
        .executable(name: "bench-pam", targets: ["BenchPam"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        // The ways in (issue 7): the forward-auth daemon and the Hummingbird middleware.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // HTTP request/response parts, to see request heads in the daemon's connection guard.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
    ],
    targets: [
        // The host protocol: one C header every plugin implements.
        .target(name: "CPortcullisPlugin"),
        // The same vocabulary (reasons, verdicts, credential kinds) for Swift code on either side.
        .target(name: "PortcullisProtocol", dependencies: ["CPortcullisPlugin", "PortcullisNetwork"], swiftSettings: strictSwift),
        // IP addresses and CIDR prefixes, shared by the host's proxy resolver and the iplist plugin.
        .target(name: "PortcullisNetwork", swiftSettings: strictSwift),
        // The thin Swift SDK for plugin authors.
        .target(
            name: "PortcullisPluginKit",
            dependencies: ["CPortcullisPlugin", "PortcullisProtocol", "PortcullisNetwork"],
            swiftSettings: strictSwift
        ),
        // The host: config, loader, stacks, dispatcher, outcome and its HTTP mapping.
        .target(
            name: "Portcullis",
            dependencies: [
                "CPortcullisPlugin", "PortcullisProtocol", "PortcullisNetwork",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift
        ),
        // How a request is decided, for every way in: snapshot, pool, deadline, log, observers.
        .target(
            name: "PortcullisRuntime",
            dependencies: [
                "Portcullis", "PortcullisProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // Hummingbird adapter: request/response conversion and the middleware.
        .target(
            name: "PortcullisHummingbird",
            dependencies: [
                "Portcullis", "PortcullisNetwork", "PortcullisRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // The forward-auth daemon behind `portcullis serve` (issue 7).
        .target(
            name: "PortcullisServer",
            dependencies: [
                "Portcullis", "PortcullisHummingbird", "PortcullisRuntime", "PortcullisProtocol", "PortcullisNetwork",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "PortcullisCLI",
            dependencies: [
                "Portcullis", "PortcullisProtocol", "PortcullisNetwork", "PortcullisServer", "PortcullisRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),

        // plugins/debug: a scriptable plugin in plain C; proves the ABI is language-neutral.
        .target(
            name: "DebugPlugin", dependencies: ["CPortcullisPlugin"], path: "plugins/debug",
            exclude: ["README.md"], publicHeadersPath: "."
        ),
        .target(name: "MethodsPlugin", dependencies: ["PortcullisPluginKit"], path: "examples/methods-plugin/Sources", swiftSettings: strictSwift),
        .target(
            name: "MethodsPluginExport", dependencies: ["MethodsPlugin", "PortcullisPluginKit"],
            path: "examples/methods-plugin/Export", swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "BenchHost", dependencies: ["Portcullis", "CPortcullisPlugin"], path: "bench/host",
            swiftSettings: strictSwift
        ),

        // plugins/crypt (issue 3)
        .systemLibrary(
            name: "CLibxcrypt", path: "plugins/crypt/CLibxcrypt", pkgConfig: "libxcrypt",
            providers: [.apt(["libcrypt-dev"])]
        ),
        .target(
            name: "CryptPlugin",
            dependencies: ["PortcullisPluginKit", "CLibxcrypt", .product(name: "Crypto", package: "swift-crypto")],
            path: "plugins/crypt/Sources/CryptPlugin", swiftSettings: strictSwift
        ),
        .target(
            name: "CryptPluginExport", dependencies: ["CryptPlugin", "PortcullisPluginKit"],
            path: "plugins/crypt/Export", swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "PortcullisHashTool",
            dependencies: ["CryptPlugin", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "plugins/crypt/Tool", swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "BenchCrypt",
            dependencies: ["CryptPlugin", "CLibxcrypt", "PortcullisPluginKit", .product(name: "Crypto", package: "swift-crypto")],
            path: "bench/crypt",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CryptPluginTests", dependencies: ["CryptPlugin", "PortcullisPluginKit", "CLibxcrypt", "Portcullis", "PortcullisTestSupport"],
            path: "plugins/crypt/Tests", swiftSettings: strictSwift
        ),
        // plugins/hmac (issue 4)
        .target(
            name: "HmacPlugin",
            dependencies: ["PortcullisPluginKit", .product(name: "Crypto", package: "swift-crypto")],
            path: "plugins/hmac/Sources/HmacPlugin", swiftSettings: strictSwift
        ),
        .target(
            name: "HmacPluginExport", dependencies: ["HmacPlugin", "PortcullisPluginKit"],
            path: "plugins/hmac/Export", swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "PortcullisTokenTool",
            dependencies: ["HmacPlugin", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "plugins/hmac/Tool", swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "BenchHmac",
            dependencies: ["HmacPlugin", "PortcullisPluginKit", .product(name: "Crypto", package: "swift-crypto")],
            path: "bench/hmac", swiftSettings: strictSwift
        ),
        .testTarget(
            name: "HmacPluginTests",
            dependencies: [
                "HmacPlugin", "PortcullisPluginKit", "Portcullis", "PortcullisTestSupport", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "plugins/hmac/Tests", swiftSettings: strictSwift
        ),
        // plugins/iplist (issue 5)
        .target(
            name: "IplistPlugin", dependencies: ["PortcullisPluginKit"], path: "plugins/iplist/Sources/IplistPlugin",
            swiftSettings: strictSwift
        ),
        .target(
            name: "IplistPluginExport", dependencies: ["IplistPlugin", "PortcullisPluginKit"], path: "plugins/iplist/Export",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "IplistPluginTests",
            dependencies: ["IplistPlugin", "PortcullisPluginKit", "Portcullis", "PortcullisTestSupport", .product(name: "Logging", package: "swift-log")],
            path: "plugins/iplist/Tests",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "BenchIplist", dependencies: ["IplistPlugin", "PortcullisPluginKit"], path: "bench/iplist",
            swiftSettings: strictSwift
        ),
        // plugins/pam (issue 6)
        .systemLibrary(
            name: "CLibpam", path: "plugins/pam/CLibpam", pkgConfig: "pam", providers: [.apt(["libpam0g-dev"])]
        ),
        .target(
            name: "PamPlugin", dependencies: ["PortcullisPluginKit", "CLibpam"], path: "plugins/pam/Sources/PamPlugin",
            swiftSettings: strictSwift
        ),
        .target(
            name: "PamPluginExport", dependencies: ["PamPlugin", "PortcullisPluginKit"], path: "plugins/pam/Export",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "PamPluginTests", dependencies: ["PamPlugin", "PortcullisPluginKit", "Portcullis", "PortcullisTestSupport"], path: "plugins/pam/Tests",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "BenchPam", dependencies: ["PamPlugin", "PortcullisPluginKit", "CPortcullisPlugin", "CLibpam"], path: "bench/pam",
            swiftSettings: strictSwift
        ),

        // Helpers shared by every test target (temporary directories, processes, C plugins, paths).
        .target(
            name: "PortcullisTestSupport", dependencies: ["Portcullis"], path: "Tests/PortcullisTestSupport",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "PortcullisTests",
            dependencies: ["Portcullis", "PortcullisProtocol", "PortcullisNetwork", "PortcullisTestSupport"],
            swiftSettings: strictSwift
        ),
        // The SDK's descriptor, called as the host calls it (ABI 1.1).
        .testTarget(
            name: "PortcullisPluginKitTests", dependencies: ["PortcullisPluginKit", "CPortcullisPlugin"],
            swiftSettings: strictSwift
        ),
        // The daemon, the middleware, the cache through real plugins and the reload test (issue 7).
        .testTarget(
            name: "PortcullisServerTests",
            dependencies: [
                "Portcullis", "PortcullisServer", "PortcullisHummingbird", "PortcullisProtocol", "PortcullisNetwork", "PortcullisTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
    ]
)
