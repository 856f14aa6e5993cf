public import Foundation

/// A fresh directory under the system's temporary folder, removed when the test is done with it.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    public init(prefix: String = "gateway-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
