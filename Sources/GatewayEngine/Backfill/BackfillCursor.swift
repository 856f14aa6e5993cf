/// Where a backfill stands in one list, saved as vendor state after every page: `since=<unix>`
/// alone once a run finished (the next starts over, and stores only what is new), with
/// `after=<position>` mid-run. What a position is belongs to the vendor: the last object stored
/// (Stripe), the highest id stored (Autotask), the next page (ConnectWise), a time and how many
/// records at that time were read (QuickBooks).
struct BackfillCursor: Equatable {
    var since: Int64
    var after: String?

    init(since: Int64, after: String?) {
        self.since = since
        self.after = after
    }

    init?(_ text: String) {
        let fields = Dictionary(
            text.split(separator: " ").compactMap { part -> (String, String)? in
                let pair = part.split(separator: "=", maxSplits: 1)
                return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
            }, uniquingKeysWith: { first, _ in first })
        guard let since = fields["since"].flatMap({ Int64($0) }) else { return nil }
        self.init(since: since, after: fields["after"])
    }

    var text: String { "since=\(since)" + (after.map { " after=\($0)" } ?? "") }
}
