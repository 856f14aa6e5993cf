/// Where a backfill run stands in one of its lists, reported after every page.
public struct BackfillProgress: Sendable, Hashable {
    /// The vendor (`autotask`).
    public var vendor: String
    /// The list being read (`contracts`).
    public var list: String
    /// Records read from this list so far in this run.
    public var fetched: Int
    /// New deliveries stored from them (the rest were already in the inbox).
    public var stored: Int
    /// Records per second since this list started.
    public var ratePerSecond: Double
    /// How much of the list is read, 0 to 1, when the vendor's answers tell (records in date
    /// order); 1 once the list is done; `nil` while it cannot be told.
    public var fractionDone: Double?

    public init(vendor: String, list: String, fetched: Int, stored: Int, ratePerSecond: Double, fractionDone: Double?) {
        self.vendor = vendor
        self.list = list
        self.fetched = fetched
        self.stored = stored
        self.ratePerSecond = ratePerSecond
        self.fractionDone = fractionDone
    }
}
