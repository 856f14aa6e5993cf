import Foundation
import GatewayAdapters
import GatewayCore
import GatewayRepositories

/// One record of a vendor's list as the delivery it is stored as: the payload the vendor's
/// webhook (or the gateway's poller) would have carried, so the source's own adapter maps it.
struct BackfillDelivery: Sendable {
    var source: String
    /// Stable per record and effect (`backfill:contract:5011`), so a second run stores nothing new.
    var deliveryID: String
    var eventType: String
    var body: JSONValue
}

/// One page of a list, as a vendor's backfill read it.
struct BackfillPage: Sendable {
    /// Records read (a record may be stored as more than one delivery, one per effect).
    var fetched: Int
    var deliveries: [BackfillDelivery]
    /// Where the next page starts; `nil` after the last.
    var next: String?
    /// How far the list is after this page, when the vendor's order tells.
    var fractionDone: Double?
}

/// The loop every vendor's backfill shares: read a list page by page from the position saved for
/// the same start day, store each page's deliveries (a delivery already in the inbox is not stored
/// again), save the position after each page, and report progress. The vendor's part is reading
/// one page from a position and saying what the next one is.
struct BackfillPager: Sendable {
    let vendor: String
    /// What every delivery of this vendor's backfill is stored with: fetched from its API with
    /// the operator's credentials, not signed by the vendor.
    let verification: Verification
    let store: any Repositories
    let now: @Sendable () -> Date

    /// Reads `lists` one after another.
    func run(
        _ lists: [String], since: Date, progress: (BackfillProgress) -> Void,
        page: (_ list: String, _ after: String?) async throws(FetchFailure) -> BackfillPage
    ) async throws(FetchFailure) -> BackfillSummary {
        var summary = BackfillSummary()
        for list in lists {
            let (fetched, stored) = try await read(list, since: since, progress: progress) { after throws(FetchFailure) in
                try await page(list, after)
            }
            summary.fetched[list] = fetched
            summary.stored[list] = stored
        }
        return summary
    }

    /// The vendor state a list's position is saved under.
    func cursorName(_ list: String) -> String { "backfill:\(vendor):\(list)" }

    private func read(
        _ list: String, since: Date, progress: (BackfillProgress) -> Void, page: (_ after: String?) async throws(FetchFailure) -> BackfillPage
    ) async throws(FetchFailure) -> (Int, Int) {
        let sinceUnix = Int64(since.timeIntervalSince1970.rounded(.down))
        // A cursor saved for another start day says nothing about this run.
        var after: String?
        do {
            let saved = try await store.vendorState.pollerCursor(named: cursorName(list)).flatMap { BackfillCursor($0) }
            if let saved, saved.since == sinceUnix { after = saved.after }
        } catch {
            throw FetchFailure("the backfill cursor could not be read: \(error)", transient: true)
        }
        let started = ContinuousClock.now
        var fetched = 0
        var stored = 0
        while true {
            let read = try await page(after)
            for delivery in read.deliveries {
                if try await ingest(delivery) { stored += 1 }
            }
            fetched += read.fetched
            do {
                try await store.vendorState.savePollerCursor(BackfillCursor(since: sinceUnix, after: read.next).text, named: cursorName(list), at: now())
            } catch {
                throw FetchFailure("the backfill cursor could not be saved: \(error)", transient: true)
            }
            let elapsed = (ContinuousClock.now - started).components
            let seconds = max(Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18, 0.001)
            progress(
                BackfillProgress(
                    vendor: vendor, list: list, fetched: fetched, stored: stored, ratePerSecond: Double(fetched) / seconds,
                    fractionDone: read.next == nil ? 1 : read.fractionDone.map { min(max($0, 0), 1) }))
            guard let next = read.next else { return (fetched, stored) }
            after = next
        }
    }

    /// Stores `delivery`; whether it was new.
    private func ingest(_ delivery: BackfillDelivery) async throws(FetchFailure) -> Bool {
        do {
            let outcome = try await store.inbox.ingest(
                IncomingDelivery(
                    source: delivery.source, vendorDeliveryID: delivery.deliveryID, eventType: delivery.eventType, receivedAt: now(), requestID: nil,
                    body: try Self.encoder.encode(delivery.body), headers: [:], verification: verification))
            if case .stored = outcome { return true }
            return false
        } catch {
            throw FetchFailure("\(delivery.deliveryID) could not be stored: \(error)", transient: true)
        }
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    /// `2024-12-01T00:00:00Z`: how the vendors' date filters are written.
    static func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }

    /// A vendor timestamp as a date: ISO 8601 with or without fractional seconds, with a zone or,
    /// without one, read as UTC (Autotask writes `2016-03-30T13:10:35.563`).
    static func date(_ text: String?) -> Date? {
        guard let text, !text.isEmpty else { return nil }
        let zoned = text.hasSuffix("Z") || text.dropFirst(19).contains(where: { $0 == "+" || $0 == "-" }) ? text : text + "Z"
        return (try? Date(zoned, strategy: .iso8601))
            ?? (try? Date(zoned, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle().year().month().day()))
    }
}
