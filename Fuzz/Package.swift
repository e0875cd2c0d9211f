// swift-tools-version:6.0
import PackageDescription

// Hostile-input tools for ODBHTTP, kept apart from the relay's package so neither libFuzzer
// builds nor swift-nio ever enter the product's dependency graph.
//
// Sources/ODBHTTP is a symlink to the relay's own module rather than a path dependency on the
// root package: a dependency would drag in the root's BPF build plugin, whose tool SwiftPM
// then compiles with the fuzzer flags too (and fails to link). ODBHTTP has no dependencies.
//
//   swift build -c release --sanitize=fuzzer --scratch-path .build-fuzz   # the fuzzer (tools/fuzz.sh)
//   swift test                                                            # corpus replay + llhttp differential
let package = Package(
    name: "odb-redirect-fuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        .target(name: "ODBHTTP"),
        // The properties every input must keep; shared by the fuzzer and the corpus replay test.
        .target(
            name: "FuzzChecks",
            dependencies: ["ODBHTTP"]
        ),
        // libFuzzer entry point; without --sanitize=fuzzer SwiftPM links it as an empty program.
        .executableTarget(name: "odb-fuzz", dependencies: ["FuzzChecks"]),
        .testTarget(
            name: "DifferentialTests",
            dependencies: [
                "FuzzChecks",
                "ODBHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
