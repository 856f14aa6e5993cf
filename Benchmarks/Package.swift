// swift-tools-version:6.1
import Foundation
import PackageDescription

// Benchmarks live in their own package so CI never builds them: micro-benchmarks of the pure rules with ordo-one/benchmark, one executable target per suite
//   in `Benchmarks/<Name>/<Name>.swift` (run: `swift package benchmark`, see BENCHMARKS.md).

/// The main package is this folder's parent, a path dependency. SwiftPM names a path dependency
/// after the last component of its folder (`main`, `referral-gateway`, whatever the clone is
/// called), and `.product(name:package:)` must use that name; so it is read from where this
/// manifest is rather than written down.
let gateway = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

/// One micro-benchmark suite: `Benchmarks/<name>/<name>.swift`, run by the benchmark plugin.
func benchmark(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: "Benchmark", package: "benchmark"), "BenchmarkInputs"]
            + products.map { .product(name: $0, package: gateway) },
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "referral-gateway-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The suites' inputs: the repository's adapters and fixtures, and a compact Stripe invoice.
        .target(name: "BenchmarkInputs"),
        benchmark("Signatures", ["GatewayAdapters", "GatewayCore"]),
        benchmark("Mapping", ["GatewayAdapters", "GatewayCore"]),
        benchmark("Accruals", ["GatewayCore"]),
    ]
)
