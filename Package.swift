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
        // Plugins: each its own dynamic module, loaded with dlopen, never linked into the host.
        .library(name: "portcullis-debug", type: .dynamic, targets: ["DebugPlugin"]),
        // plugins/crypt (issue 3)
        // @products:crypt
        // plugins/hmac (issue 4)
        .library(name: "portcullis-hmac", type: .dynamic, targets: ["HmacPluginExport"]),
        // `portcullis token …` execs this, so the host never links plugin code.
        .executable(name: "portcullis-token", targets: ["PortcullisTokenTool"]),
        .executable(name: "bench-hmac", targets: ["BenchHmac"]),
        // plugins/iplist (issue 5)
        // @products:iplist
        // plugins/pam (issue 6)
        // @products:pam
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // The host protocol: one C header every plugin implements.
        .target(name: "CPortcullisPlugin"),
        // The same vocabulary (reasons, verdicts, credential kinds) for Swift code on either side.
        .target(name: "PortcullisProtocol", dependencies: ["CPortcullisPlugin"], swiftSettings: strictSwift),
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
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "PortcullisCLI",
            dependencies: [
                "Portcullis", "PortcullisProtocol", "PortcullisNetwork",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),

        // plugins/debug: a scriptable plugin in plain C; proves the ABI is language-neutral.
        .target(
            name: "DebugPlugin", dependencies: ["CPortcullisPlugin"], path: "plugins/debug",
            exclude: ["README.md"], publicHeadersPath: "."
        ),
        // plugins/crypt (issue 3)
        // @targets:crypt
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
                "HmacPlugin", "PortcullisPluginKit", "Portcullis", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "plugins/hmac/Tests", swiftSettings: strictSwift
        ),
        // plugins/iplist (issue 5)
        // @targets:iplist
        // plugins/pam (issue 6)
        // @targets:pam

        .testTarget(
            name: "PortcullisTests",
            dependencies: ["Portcullis", "PortcullisProtocol", "PortcullisNetwork"],
            swiftSettings: strictSwift
        ),
    ]
)
