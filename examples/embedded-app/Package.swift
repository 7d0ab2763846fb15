// swift-tools-version:6.0
import PackageDescription

// A Hummingbird app that embeds Portcullis, as README "Embedding" describes; Tests/e2e/embedded-app.sh
// builds and runs it. It depends on the Portcullis checkout by path (`../..`); an app of your own
// names Portcullis's repository URL instead. The package's identity is then its directory's name,
// so the products below name it that way.
let portcullis = Context.packageDirectory.split(separator: "/").dropLast(2).last.map(String.init) ?? "portcullis"

let package = Package(
    name: "EmbeddedApp",
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .executableTarget(
            name: "EmbeddedApp",
            dependencies: [
                .product(name: "Portcullis", package: portcullis),
                .product(name: "PortcullisHummingbird", package: portcullis),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
    ]
)
