/// A backfill to start: `{"source": "stripe", "since": "2024-12-01"}`.
public struct BackfillInput: Sendable, Hashable, Decodable {
    public var source: String?
    /// A day (`2024-12-01`) or an ISO 8601 timestamp.
    public var since: String?

    public init(source: String?, since: String?) {
        self.source = source
        self.since = since
    }
}
