public import Foundation
public import GatewayAdapters
public import GatewayCore
public import Logging
import Synchronization

/// Backfills started from the admin API or the console, run in the background with their
/// progress kept for the admin to follow. One backfill per source runs at a time; what a finished
/// one stored is processed like any delivery.
public actor BackfillJobs {
    /// Reads a source's history since a day into the inbox, reporting progress as it goes, and
    /// returns what it read and stored in all.
    public typealias Runner = @Sendable (_ since: Date, _ progress: @escaping @Sendable (Progress) -> Void) async throws(FetchFailure) -> Progress

    /// How far a running backfill is.
    public struct Progress: Sendable, Hashable {
        public var fetched: Int
        public var stored: Int
        /// Of the period since the start day, how much is read (0 to 1), when the source says.
        public var fractionDone: Double?

        public init(fetched: Int, stored: Int, fractionDone: Double?) {
            self.fetched = fetched
            self.stored = stored
            self.fractionDone = fractionDone
        }
    }

    /// A backfill as the admin follows it.
    public struct Job: Sendable, Encodable {
        public enum State: String, Sendable, Encodable {
            case running, finished, failed
        }

        public var id: Int
        public var source: String
        public var since: Date
        public var state: State
        public var fetched = 0
        /// New deliveries: what was already in the inbox (a webhook, an earlier run) is not counted.
        public var stored = 0
        public var percentDone: Double?
        public var startedAt: Date
        public var finishedAt: Date?
        /// Why it stopped, for a failed one; what was stored stays, and the next run resumes.
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case id, source, since, state, fetched, stored, error
            case percentDone = "percent_done"
            case startedAt = "started_at"
            case finishedAt = "finished_at"
        }
    }

    private let runners: [String: Runner]
    private let processor: DeliveryProcessor?
    private let now: @Sendable () -> Date
    private let logger: Logger
    private var jobs: [Int: Job] = [:]
    private var nextID = 1

    /// - Parameter runners: the sources whose API the environment configures, by source name.
    public init(runners: [String: Runner], processor: DeliveryProcessor?, now: @escaping @Sendable () -> Date, logger: Logger) {
        self.runners = runners
        self.processor = processor
        self.now = now
        self.logger = logger
    }

    /// The sources a backfill can be started for.
    public nonisolated var sources: [String] { runners.keys.sorted() }

    /// Starts a backfill of `source` since the day `since` and returns it at once.
    ///
    /// - Throws: `GatewayError.invalid` for a source without a backfill or a bad day; `.refused`
    ///   for a source whose API is not configured; `.conflict` while one of the source runs.
    public func start(source: String?, since: String?) throws(GatewayError) -> Job {
        let source = try ProgramValidation.required(source, "source")
        let day = try DateInput.parse(try ProgramValidation.required(since, "since"), field: "since")
        guard let runner = runners[source] else {
            guard ["stripe", "quickbooks", "autotask", "connectwise"].contains(source) else {
                throw .invalid("source must be one of \(["stripe", "quickbooks", "autotask", "connectwise"].joined(separator: ", "))")
            }
            throw .refused("no \(source) API client is configured on this gateway, or it has no backfill yet (configured: \(sources.isEmpty ? "none" : sources.joined(separator: ", ")))")
        }
        if let running = jobs.values.first(where: { $0.source == source && $0.state == .running }) {
            throw .conflict("backfill \(running.id) of \(source) is still running")
        }
        let id = nextID
        nextID += 1
        let job = Job(id: id, source: source, since: day, state: .running, startedAt: now())
        jobs[id] = job
        Task { await self.run(id, runner, since: day) }
        return job
    }

    public func job(_ id: Int) -> Job? { jobs[id] }

    /// Every backfill since the gateway started, newest first.
    public func all() -> [Job] { jobs.values.sorted { $0.id > $1.id } }

    private func run(_ id: Int, _ runner: Runner, since: Date) async {
        do {
            let total = try await runner(since) { progress in Task { await self.update(id, progress) } }
            finish(id, total)
        } catch {
            jobs[id]?.state = .failed
            jobs[id]?.error = error.reason
            logger.warning("backfill failed; what was stored stays", metadata: ["id": "\(id)", "reason": "\(error.reason)"])
        }
        jobs[id]?.finishedAt = now()
        processor?.wake()
    }

    /// The totals the run returned, over whatever progress reports were still on their way.
    private func finish(_ id: Int, _ total: Progress) {
        guard var job = jobs[id] else { return }
        job.fetched = total.fetched
        job.stored = total.stored
        job.state = .finished
        job.percentDone = 100
        jobs[id] = job
    }

    private func update(_ id: Int, _ progress: Progress) {
        guard jobs[id]?.state == .running else { return }
        jobs[id]?.fetched = progress.fetched
        jobs[id]?.stored = progress.stored
        jobs[id]?.percentDone = progress.fractionDone.map { ($0 * 1_000).rounded() / 10 }
    }
}

extension StripeBackfill {
    /// This backfill as a job runs it: progress over both lists (invoices, then credit notes).
    public var runner: BackfillJobs.Runner {
        { since, report throws(FetchFailure) in
            let lists = StripeBackfill.List.allCases
            let done = Mutex<[StripeBackfill.List: Progress]>([:])
            let summary = try await run(since: since) { progress in
                let all = done.withLock { done in
                    done[progress.list] = progress
                    return done
                }
                let index = Double(lists.firstIndex(of: progress.list) ?? 0)
                report(
                    .init(
                        fetched: all.values.reduce(0) { $0 + $1.fetched }, stored: all.values.reduce(0) { $0 + $1.stored },
                        fractionDone: (index + progress.fractionDone) / Double(lists.count)))
            }
            return .init(fetched: summary.fetched.values.reduce(0, +), stored: summary.totalStored, fractionDone: 1)
        }
    }
}
