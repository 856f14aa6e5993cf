public import Foundation

/// The repository's own files: adapter definitions and vendor payload fixtures.
public enum Fixtures {
    /// The repository's root (where `Package.swift` is).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let adapters = root.appendingPathComponent("adapters")

    /// A fixture's bytes, by its path under `fixtures/` (`stripe/invoice.paid.json`).
    public static func data(_ path: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent("fixtures").appendingPathComponent(path))
    }
}
