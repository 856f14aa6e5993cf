public import Foundation
public import GatewayCore
public import GatewayRepositories
public import Logging

/// Replays of stored deliveries through the current adapters and program, in the background for
/// large sets, with progress, and cancellable. A dry run reports what would change and writes
/// nothing.
public actor ReplayJobs {
    /// A replay as the admin follows it.
    public struct Job: Sendable, Encodable {
        public enum State: String, Sendable, Encodable {
            case running, finished, cancelled, failed
        }

        public var id: Int
        public var dryRun: Bool
        public var state: State
        public var total: Int
        public var done: Int
        public var diff: LedgerDiff
        public var statuses: [String: Int]
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case id, state, total, done, diff, statuses, error
            case dryRun = "dry_run"
        }
    }

    private let store: any Repositories
    private let processor: DeliveryProcessor
    private let batchSize: Int
    private let logger: Logger
    private var jobs: [Int: Job] = [:]
    private var tasks: [Int: Task<Void, Never>] = [:]
    private var nextID = 1

    public init(store: any Repositories, processor: DeliveryProcessor, batchSize: Int = 200, logger: Logger) {
        self.store = store
        self.processor = processor
        self.batchSize = max(1, batchSize)
        self.logger = logger
    }

    /// Replays `ids` now and returns when done: for one delivery or a small set.
    public func run(_ ids: [DeliveryID], dryRun: Bool, at now: Date) async throws -> Job {
        var job = Job(id: 0, dryRun: dryRun, state: .running, total: ids.count, done: 0, diff: LedgerDiff(), statuses: [:])
        try await replay(ids, into: &job, at: now, cancelled: { false })
        job.state = .finished
        return job
    }

    /// Starts a replay in the background and returns its id at once.
    public func start(_ ids: [DeliveryID], dryRun: Bool, now: @escaping @Sendable () -> Date) -> Job {
        let id = nextID
        nextID += 1
        let job = Job(id: id, dryRun: dryRun, state: .running, total: ids.count, done: 0, diff: LedgerDiff(), statuses: [:])
        jobs[id] = job
        tasks[id] = Task {
            var progress = job
            do {
                try await self.replay(ids, into: &progress, at: now(), cancelled: { Task.isCancelled }) { snapshot in
                    await self.update(snapshot)
                }
                progress.state = Task.isCancelled ? .cancelled : .finished
            } catch {
                progress.state = .failed
                progress.error = "\(error)"
            }
            self.update(progress)
        }
        return job
    }

    public func job(_ id: Int) -> Job? { jobs[id] }

    public func all() -> [Job] { jobs.values.sorted { $0.id < $1.id } }

    /// Stops a running replay between batches; what was replayed stays replayed.
    public func cancel(_ id: Int) -> Job? {
        tasks[id]?.cancel()
        if jobs[id]?.state == .running { jobs[id]?.state = .cancelled }
        return jobs[id]
    }

    private func update(_ job: Job) {
        if jobs[job.id]?.state == .cancelled, job.state == .running { return }
        jobs[job.id] = job
    }

    /// Replays in batches. A dry run computes every result first and settles them in one
    /// transaction that is rolled back, so its difference accounts for all of them together.
    private func replay(
        _ ids: [DeliveryID], into job: inout Job, at now: Date, cancelled: @Sendable () -> Bool,
        progress: @Sendable (Job) async -> Void = { _ in }
    ) async throws {
        if job.dryRun {
            var results: [(DeliveryID, ProcessingResult)] = []
            for id in ids {
                guard !cancelled() else { return }
                if let delivery = try await store.inbox.delivery(id) {
                    guard delivery.bodyPrunedAt == nil else { job.statuses["skipped_pruned", default: 0] += 1; continue }
                    results.append((id, await processor.result(for: delivery)))
                }
            }
            let outcome = try await store.inbox.replay(results, dryRun: true, rules: LedgerService(), at: now)
            job.diff = outcome.diff
            job.done = ids.count
            for status in outcome.statuses.values { job.statuses[status.rawValue, default: 0] += 1 }
            return
        }
        for start in stride(from: 0, to: ids.count, by: batchSize) {
            guard !cancelled() else { return }
            var results: [(DeliveryID, ProcessingResult)] = []
            for id in ids[start..<min(start + batchSize, ids.count)] {
                guard let delivery = try await store.inbox.delivery(id) else { continue }
                // A pruned body cannot be mapped again; its stored events and ledger effects stand.
                guard delivery.bodyPrunedAt == nil else {
                    job.statuses["skipped_pruned", default: 0] += 1
                    job.done += 1
                    continue
                }
                results.append((id, await processor.result(for: delivery)))
            }
            let outcome = try await store.inbox.replay(results, dryRun: false, rules: LedgerService(), at: now)
            job.diff = job.diff.merged(with: outcome.diff)
            job.done += results.count
            for status in outcome.statuses.values { job.statuses[status.rawValue, default: 0] += 1 }
            await progress(job)
        }
        logger.info("replay finished", metadata: ["deliveries": "\(ids.count)", "created": "\(job.diff.created.count)"])
    }
}
