public import Foundation
public import GatewayRepositories
public import Logging
public import ServiceLifecycle
import Synchronization

/// The log of requests refused at ingest, written in batches so refusals never compete with
/// valid deliveries for the store's single writer one fsync at a time.
///
/// A refusal is answered at once; its metadata waits in memory and is written with the others
/// every `interval` (or when `flush()` is called). Every refusal is counted exactly, per source and
/// code; under a flood only the first `keptPerCode` of each source and code in a flush are kept as
/// rows, so a flood cannot fill the disk. Kept rows are bounded by age and number too.
public final class RejectionLog: Service, Sendable {
    /// How long and how many kept rows the log holds.
    public struct Retention: Sendable, Hashable {
        public var keepDays: Int
        public var maxRows: Int

        public init(keepDays: Int = 30, maxRows: Int = 100_000) {
            self.keepDays = max(1, keepDays)
            self.maxRows = max(1, maxRows)
        }
    }

    private struct Buffer {
        var kept: [Rejection] = []
        var counts: [String: RejectionCount] = [:]
    }

    private let store: any Repositories
    private let retention: Retention
    private let interval: Duration
    private let keptPerCode: Int
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let buffer = Mutex(Buffer())
    private let flushes = Mutex<Task<Void, any Error>?>(nil)

    public init(
        store: any Repositories, retention: Retention = Retention(), interval: Duration = .milliseconds(250), keptPerCode: Int = 100,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.store = store
        self.retention = retention
        self.interval = interval
        self.keptPerCode = max(1, keptPerCode)
        self.now = now
        self.logger = logger
    }

    /// Notes a refusal; it is written with the next flush.
    public func record(_ rejection: Rejection) {
        buffer.withLock { buffer in
            let key = "\(rejection.source)\u{0}\(rejection.code)"
            buffer.counts[key, default: RejectionCount(source: rejection.source, code: rejection.code, count: 0)].count += 1
            if buffer.counts[key]!.count <= keptPerCode { buffer.kept.append(rejection) }
        }
    }

    /// Writes what was recorded so far, after any flush already under way.
    public func flush() async throws {
        let task = flushes.withLock { running -> Task<Void, any Error> in
            let previous = running
            let task = Task {
                _ = await previous?.result
                try await self.write()
            }
            running = task
            return task
        }
        try await task.value
    }

    private func write() async throws {
        let taken = buffer.withLock { buffer -> Buffer in
            defer { buffer = Buffer() }
            return buffer
        }
        guard !taken.counts.isEmpty else { return }
        let date = now()
        do {
            try await store.inbox.recordRejections(
                taken.kept, counted: Array(taken.counts.values), keepAfter: date.addingTimeInterval(-Double(retention.keepDays) * 86_400),
                maxRows: retention.maxRows)
        } catch {
            // Put the counts back so none is lost; the rows' sample may be retried with them.
            buffer.withLock { buffer in
                for (key, count) in taken.counts { buffer.counts[key, default: RejectionCount(source: count.source, code: count.code, count: 0)].count += count.count }
                buffer.kept = Array((taken.kept + buffer.kept).prefix(keptPerCode * max(1, buffer.counts.count)))
            }
            throw error
        }
        let total = taken.counts.values.reduce(0) { $0 + $1.count }
        if total > taken.kept.count {
            logger.notice("refusals sampled", metadata: ["refused": "\(total)", "kept": "\(taken.kept.count)"])
        }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            do {
                try await flush()
            } catch {
                logger.warning("writing refusals failed; they are kept in memory and retried", metadata: ["error": "\(error)"])
            }
        }
        do {
            try await flush()
        } catch {
            logger.warning("writing the last refusals failed at shutdown", metadata: ["error": "\(error)"])
        }
    }
}
