public import Foundation

/// What a store that a copy is filling says about it until the copy is verified: where the rows
/// come from and when the copy started. A store carrying one holds an unfinished copy.
public struct StoreCopyMarker: Sendable, Hashable, Codable {
    /// The source store's location (never a password).
    public var source: String
    public var startedAt: Date

    public init(source: String, startedAt: Date) {
        self.source = source
        self.startedAt = startedAt
    }

    enum CodingKeys: String, CodingKey {
        case source
        case startedAt = "started_at"
    }
}
