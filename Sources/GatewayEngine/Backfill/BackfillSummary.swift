/// What a backfill run did, per list it reads.
public struct BackfillSummary: Sendable, Hashable, Encodable {
    /// Records read from each list.
    public var fetched: [String: Int] = [:]
    /// Of those, the deliveries stored new (a record already in the inbox is not counted).
    public var stored: [String: Int] = [:]

    public init(fetched: [String: Int] = [:], stored: [String: Int] = [:]) {
        self.fetched = fetched
        self.stored = stored
    }

    /// Records read over every list.
    public var totalFetched: Int { fetched.values.reduce(0, +) }
    /// New deliveries over every list.
    public var totalStored: Int { stored.values.reduce(0, +) }
}
