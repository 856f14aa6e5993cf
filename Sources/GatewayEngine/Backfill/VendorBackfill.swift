public import Foundation
import Synchronization

/// A vendor's history read from its API into the inbox, list by list, resumable from a cursor
/// saved after every page (Autotask, QuickBooks, ConnectWise; Stripe has its own progress type).
public protocol VendorBackfill: Sendable {
    /// The vendor, as `backfill <vendor>` and `POST /admin/backfills` name it.
    var vendor: String { get }
    /// The lists it reads, in order.
    var lists: [String] { get }

    /// Reads every list since `since` into the inbox.
    ///
    /// - Parameter progress: called after each page is stored.
    /// - Throws: `FetchFailure` when the vendor refuses the credentials, answers what cannot be
    ///   read, or stays unavailable through every retry; what was stored stays, and the saved
    ///   cursor lets the next run continue.
    func run(since: Date, progress: @escaping @Sendable (BackfillProgress) -> Void) async throws(FetchFailure) -> BackfillSummary
}

extension VendorBackfill {
    /// This backfill as a job runs it: progress over all its lists, one after another.
    public var runner: BackfillJobs.Runner {
        let lists = self.lists
        return { since, report throws(FetchFailure) in
            let done = Mutex<[String: BackfillProgress]>([:])
            let summary = try await run(since: since) { progress in
                let all = done.withLock { done in
                    done[progress.list] = progress
                    return done
                }
                // A list that cannot tell how far it is counts as just begun until it is done.
                let index = Double(lists.firstIndex(of: progress.list) ?? 0)
                report(
                    .init(
                        fetched: all.values.reduce(0) { $0 + $1.fetched }, stored: all.values.reduce(0) { $0 + $1.stored },
                        fractionDone: (index + (progress.fractionDone ?? 0)) / Double(max(lists.count, 1))))
            }
            return .init(fetched: summary.totalFetched, stored: summary.totalStored, fractionDone: 1)
        }
    }
}
