// swift-tools-version:6.1
import PackageDescription

/// Every target builds in Swift 6 mode with the upcoming features Hummingbird uses, so imports
/// are explicit about what leaks into public API.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "referral-gateway",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "referral-gateway", targets: ["referral-gateway"]),
        // Libraries so the separate Benchmarks/ package can measure the pure rules and the store.
        .library(name: "GatewayCore", targets: ["GatewayCore"]),
        .library(name: "GatewayAdapters", targets: ["GatewayAdapters"]),
        .library(name: "GatewayRepositories", targets: ["GatewayRepositories"]),
        .library(name: "GatewayStore", targets: ["GatewayStore"]),
        .library(name: "GatewayEngine", targets: ["GatewayEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "GatewayCore",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GatewayAdapters",
            dependencies: [
                "GatewayCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GatewayRepositories",
            dependencies: ["GatewayCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GatewayStore",
            dependencies: [
                "GatewayCore",
                "GatewayRepositories",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL sibling of GatewayStore, for several gateway instances on one database.
        .target(
            name: "GatewayPostgres",
            dependencies: [
                "GatewayCore",
                "GatewayRepositories",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GatewayEngine",
            dependencies: [
                "GatewayCore",
                "GatewayAdapters",
                "GatewayRepositories",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GatewayViews",
            dependencies: [
                "GatewayCore",
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GatewayHTTP",
            dependencies: [
                "GatewayCore",
                "GatewayAdapters",
                "GatewayRepositories",
                "GatewayEngine",
                "GatewayViews",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "referral-gateway",
            dependencies: [
                "GatewayCore",
                "GatewayAdapters",
                "GatewayRepositories",
                "GatewayStore",
                "GatewayPostgres",
                "GatewayEngine",
                "GatewayViews",
                "GatewayHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // What every test target shares: seeded generators, temporary stores, story builders,
        // signed deliveries.
        .target(
            name: "GatewayTestSupport",
            dependencies: [
                "GatewayCore", "GatewayAdapters", "GatewayRepositories", "GatewayStore", "GatewayEngine",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/GatewayTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayCoreTests",
            dependencies: ["GatewayCore", "GatewayTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayAdaptersTests",
            dependencies: ["GatewayAdapters", "GatewayCore", "GatewayTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayStoreTests",
            dependencies: [
                "GatewayStore", "GatewayRepositories", "GatewayEngine", "GatewayCore", "GatewayTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayPostgresTests",
            dependencies: [
                "GatewayPostgres", "GatewayStore", "GatewayRepositories", "GatewayEngine", "GatewayCore", "GatewayAdapters", "GatewayTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayEngineTests",
            dependencies: ["GatewayEngine", "GatewayRepositories", "GatewayCore", "GatewayAdapters", "GatewayTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayHTTPTests",
            dependencies: [
                "GatewayHTTP", "GatewayEngine", "GatewayRepositories", "GatewayStore", "GatewayAdapters", "GatewayCore", "GatewayTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
