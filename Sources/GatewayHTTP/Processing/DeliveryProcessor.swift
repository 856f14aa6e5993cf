public import Foundation
public import GatewayAdapters
import GatewayCore
public import GatewayStore
public import Logging
public import ServiceLifecycle

/// Drains stored deliveries: maps each through its adapter, applies the business events to the
/// ledger, and records the outcome, a batch per transaction. Runs as a service beside the HTTP
/// server; ingest wakes it, and it also looks for work on an interval.
public final class DeliveryProcessor: Service, Sendable {
    private let database: GatewayDatabase
    private let adapters: AdapterCatalog
    private let engine = CommissionEngine()
    private let batchSize: Int
    private let idleInterval: Duration
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let wakeUps: AsyncStream<Void>
    private let wakeUpContinuation: AsyncStream<Void>.Continuation
    private let passes = SerialPasses()

    public init(
        database: GatewayDatabase, adapters: AdapterCatalog, batchSize: Int = 256, idleInterval: Duration = .seconds(1),
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.database = database
        self.adapters = adapters
        self.batchSize = max(1, batchSize)
        self.idleInterval = idleInterval
        self.now = now
        self.logger = logger
        (self.wakeUps, self.wakeUpContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the processor to look for work now.
    public func wake() {
        wakeUpContinuation.yield()
    }

    public func run() async throws {
        let ticker = Task { [wakeUpContinuation, idleInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: idleInterval)
                wakeUpContinuation.yield()
            }
        }
        defer { ticker.cancel() }
        wake()
        for await _ in wakeUps.cancelOnGracefulShutdown() {
            do {
                try await drain()
            } catch {
                logger.error("processing pass failed; the deliveries stay stored and are retried", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Processes every delivery waiting now, and returns how many it settled. Passes never overlap,
    /// so a caller (a test, the CLI) that awaits this knows the queue was empty when it returned.
    @discardableResult
    public func drain() async throws -> Int {
        try await passes.run { try await self.processAll() }
    }

    private func processAll() async throws -> Int {
        var settled = 0
        while true {
            let batch = try await database.deliveriesAwaitingProcessing(limit: batchSize)
            if batch.isEmpty { return settled }
            let results = batch.map { ($0.id, result(for: $0)) }
            let statuses = try await database.recordProcessing(results, engine: engine, at: now())
            for (id, status) in statuses where status == .failed {
                logger.warning("delivery failed", metadata: ["delivery": "\(id)"])
            }
            settled += batch.count
        }
    }

    /// What the adapter makes of a stored delivery. Pure: no store access.
    func result(for delivery: StoredDelivery) -> ProcessingResult {
        guard let adapter = adapters[delivery.source] else {
            return .failed(reason: "no adapter is loaded for source '\(delivery.source)'", adapterVersion: nil)
        }
        do {
            switch try adapter.map(delivery.body) {
            case .mapped(let events): return .mapped(events, adapterVersion: adapter.version)
            case .ignored(let reason): return .ignored(reason: reason, adapterVersion: adapter.version)
            }
        } catch {
            return .failed(reason: error.description, adapterVersion: adapter.version)
        }
    }
}

/// Runs operations one after another, in call order, even when callers overlap.
private actor SerialPasses {
    private var last: Task<Int, any Error>?

    func run(_ operation: @escaping @Sendable () async throws -> Int) async throws -> Int {
        let previous = last
        let task = Task {
            _ = await previous?.result
            return try await operation()
        }
        last = task
        return try await task.value
    }
}
