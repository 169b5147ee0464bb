// swift-tools-version:6.2
// Vigil: fleet telemetry agent and hub. The layout follows DESIGN.md §1; every target names its `path:`.
import PackageDescription

let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil-agent", targets: ["vigil-agent"]),
        .executable(name: "vigil-hub", targets: ["vigil-hub"]),
        .executable(name: "vigilctl", targets: ["vigilctl"]),
        .library(name: "VigilClient", targets: ["VigilClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // Wire protocol: generated messages, frame codec, batch building, validation. Shared by agent and hub.
        .target(
            name: "VigilProtocol",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Protocol",
            exclude: ["vigil.proto", "Generated/vigil.proto.sha256", "Configuration"],
            swiftSettings: strict
        ),
        // The configuration layer shared by agent and hub: the YAML walker and its errors, value syntaxes, --set
        // overrides, check-config's TLS file checks.
        .target(
            name: "VigilConfiguration",
            dependencies: [
                "VigilProtocol",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Protocol/Configuration",
            swiftSettings: strict
        ),
        // Agent: sampling, ingest, buffer, shipping.
        .target(
            name: "VigilAgent",
            dependencies: [
                "VigilProtocol",
                "VigilConfiguration",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Agent/VigilAgent",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "vigil-agent",
            dependencies: [
                "VigilAgent",
                "VigilConfiguration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Agent/vigil-agent",
            swiftSettings: strict
        ),
        // The Swift client library for applications (Agent/Clients/Swift): events to the agent's socket.
        .target(
            name: "VigilClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Agent/Clients/Swift",
            swiftSettings: strict
        ),
        // Hub analytics: pure algorithms, no I/O.
        .target(name: "VigilAnalytics", path: "Hub/VigilAnalytics", swiftSettings: strict),
        // Hub: receive, dedupe, store, analyze, report.
        .target(
            name: "VigilHub",
            dependencies: [
                "VigilProtocol",
                "VigilConfiguration",
                "VigilAnalytics",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Hub/VigilHub",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "vigil-hub",
            dependencies: [
                "VigilHub",
                "VigilConfiguration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Hub/vigil-hub",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "vigilctl",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Hub/vigilctl",
            swiftSettings: strict
        ),
        // Tests: one target per library, plus end-to-end and the C interop peer.
        .testTarget(
            name: "VigilProtocolTests",
            dependencies: [
                "VigilProtocol",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Tests/VigilProtocolTests",
            swiftSettings: strict
        ),
        // Helpers shared by the test targets: certificates from deploy/certs.sh, temp dirs, socket clients.
        .target(
            name: "VigilTestSupport",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Tests/Support",
            swiftSettings: strict
        ),
        .testTarget(
            name: "VigilAgentTests",
            dependencies: [
                "VigilAgent",
                "VigilConfiguration",
                "VigilTestSupport",
                "VigilProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/VigilAgentTests",
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "VigilAnalyticsTests",
            dependencies: ["VigilAnalytics", "VigilTestSupport"],
            path: "Tests/VigilAnalyticsTests",
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "VigilHubTests",
            dependencies: [
                "VigilConfiguration",
                "VigilHub",
                "VigilTestSupport",
                "VigilProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                "VigilAnalytics",
            ],
            path: "Tests/VigilHubTests",
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InteropTests",
            dependencies: [
                "VigilProtocol",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/InteropTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "VigilProtocol",
                "VigilClient",
                "VigilTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Tests/EndToEndTests",
            swiftSettings: strict
        ),
        // Issue 6: fault scenarios against the built daemons, judged by an oracle (Tests/Reliability/README.md).
        .testTarget(
            name: "ReliabilityTests",
            dependencies: [
                "VigilProtocol",
                "VigilTestSupport",
                "VigilFuzzTargets",
                // The oracle's mutation runs serve agents from a hub in-process, its store wrapped in a broken one.
                "VigilHub",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/Reliability",
            exclude: ["RESULTS.md", "README.md", "make-report.py", "PowerCut"],
            swiftSettings: strict
        ),
        // The decoders under fuzzing, one entry point each; `make fuzz` links them into libFuzzer drivers.
        .target(
            name: "VigilFuzzTargets",
            dependencies: [
                "VigilProtocol",
                "VigilAgent",
                "VigilHub",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Tests/Fuzz/Targets",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "vigil-fuzz",
            dependencies: ["VigilFuzzTargets"],
            path: "Tests/Fuzz/Driver",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "vigil-bench",
            dependencies: [
                "VigilProtocol",
                "VigilAgent",
                "VigilHub",
                "VigilClient",
                "VigilTestSupport",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Benchmarks",
            swiftSettings: strict
        ),
    ]
)
