// swift-tools-version:6.0
import PackageDescription

/// For the modules on the per-request path: release builds skip the run-time exclusivity checks
/// of class properties (docs/PERFORMANCE.md, sections 10 and 21); debug builds, which the tests
/// run, keep them.
let releaseSkipsExclusivityChecks: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "odb-redirect",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "odb-redirect", targets: ["odb-redirect"]),
        .library(name: "ODBKernel", targets: ["ODBKernel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // libbpf from Debian's libbpf-dev, with static inline wrappers for its macros.
        .systemLibrary(
            name: "CLibBPF",
            pkgConfig: "libbpf",
            providers: [.apt(["libbpf-dev", "libelf-dev", "zlib1g-dev"])]
        ),
        // Imports bpf/include/odb_shared.h, the one definition of every struct BPF maps hold.
        .target(
            name: "OdbShared",
            path: "bpf",
            sources: ["abi"],
            publicHeadersPath: "include"
        ),
        // TCP_INFO fields glibc's <netinet/tcp.h> lacks; <linux/tcp.h> cannot share a Swift
        // module with glibc's header, so it stays inside this C file.
        .target(name: "CSocketShims"),
        // Switching user while keeping chosen capabilities: prctl is variadic and capset has
        // no glibc wrapper, so neither is callable from Swift.
        .target(name: "CPrivilegeShims"),
        // Turns the compiled BPF object into Swift source so the binary carries it, with the
        // names of its maps and programs.
        .executableTarget(name: "bpf-embed", dependencies: ["CLibBPF"]),
        .plugin(
            name: "BPFObjectPlugin",
            capability: .buildTool(),
            dependencies: ["bpf-embed"]
        ),
        .target(
            name: "ODBKernel",
            dependencies: [
                "CLibBPF", "OdbShared", "CSocketShims", "ODBHTTP",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: releaseSkipsExclusivityChecks,
            plugins: ["BPFObjectPlugin"]
        ),
        // HTTP/1.x heads, framing and chunk boundaries, parsed strictly (RFC 9112); no I/O.
        .target(
            name: "ODBHTTP",
            // Optimised in debug builds too: every request passes through it, and the
            // allocation ceiling in ODBHTTPTests holds for the code as shipped.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        // Counts the calling thread's heap allocations by interposing malloc and its siblings;
        // linked only into the head-path measurement tool and the tests that count allocations.
        .target(name: "CAllocationCounter"),
        // Prints the time and allocations of the relay's per-request head work (parse, rewrite,
        // serialize); build with -c release.
        .executableTarget(name: "head-path-cost", dependencies: ["ODBHTTP", "CAllocationCounter"]),
        // The relay's YAML configuration, with file and line in every error.
        .target(
            name: "ODBConfig",
            dependencies: ["ODBHTTP", .product(name: "Yams", package: "Yams")]
        ),
        // The relay: event loops, sessions, upstream pools and the kernel handoff.
        .target(
            name: "ODBRelay",
            dependencies: [
                "ODBKernel", "ODBHTTP", "ODBConfig", "CSocketShims", "CPrivilegeShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: releaseSkipsExclusivityChecks
        ),
        // The benchmark: built-in origin, topologies, load generators, samplers and reports.
        .target(name: "ODBBench", dependencies: ["ODBConfig"]),
        .executableTarget(
            name: "odb-redirect",
            dependencies: [
                "ODBKernel", "ODBRelay", "ODBConfig", "ODBBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Fixtures shared by the test targets: real processes, sockets and HTTP clients.
        .target(name: "ODBTestSupport", path: "Tests/ODBTestSupport"),
        .testTarget(
            name: "RelayTests",
            dependencies: ["ODBTestSupport", "odb-redirect"]
        ),
        .testTarget(
            name: "BenchTests",
            dependencies: ["ODBBench", "ODBTestSupport", "odb-redirect"]
        ),
        .testTarget(name: "ODBHTTPTests", dependencies: ["ODBHTTP", "head-path-cost", "CAllocationCounter"]),
        .testTarget(
            name: "ODBRelayTests",
            dependencies: [
                "ODBRelay", "ODBKernel", "ODBConfig", "ODBTestSupport", "CAllocationCounter",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "ODBConfigTests", dependencies: ["ODBConfig"]),
        .testTarget(
            name: "ODBKernelTests",
            dependencies: ["ODBKernel", "OdbShared", "CLibBPF", "ODBTestSupport", "odb-redirect"]
        ),
    ]
)
