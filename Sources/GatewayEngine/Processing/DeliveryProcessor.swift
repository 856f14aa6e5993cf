public import Foundation
public import GatewayAdapters
import GatewayCore
public import GatewayRepositories
public import Logging
public import ServiceLifecycle
import Synchronization

/// Drains stored deliveries: maps each through its adapter, applies the business events to the
/// ledger, and records the outcome, a batch per transaction. Runs as a service beside the HTTP
/// server; ingest wakes it (any instance's, on PostgreSQL), and it also looks for work on an interval.
public final class DeliveryProcessor: Service, Sendable {
    private let store: any Repositories
    private let adapters: AdapterCatalog
    private let fetchers: [String: any EntityFetcher]
    private let batchSize: Int
    private let idleInterval: Duration
    /// How long a claim lasts; a processor that crashed loses its claims after this.
    private let lease: TimeInterval
    /// Backoff between tries of a delivery that failed for a transient reason.
    private let retry: RetryPolicy
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let observer: (any ProcessingObserver)?
    /// The running service's wake-up stream; one per `run()`, since a stream is consumed once and
    /// the same processor may serve several application runs (tests do).
    private let wakeUps = Mutex<AsyncStream<Void>.Continuation?>(nil)
    private let passes = SerialPasses()
    /// Claims of a batch whose settling failed, to give back once the store answers again (a
    /// store that went away mid-batch cannot take them back at once).
    private let unsettled = Mutex<[DeliveryID]>([])
    private let ledger = LedgerService()

    /// - Parameter fetchers: vendor API clients by connector name, for thin notifications.
    /// - Parameters:
    ///   - lease: seconds a claim lasts before another processor may take the work over.
    ///   - retry: how often (attempts) and how patiently a transient failure is retried before the
    ///     delivery is dead.
    public init(
        store: any Repositories, adapters: AdapterCatalog, fetchers: [any EntityFetcher] = [], batchSize: Int = 2_000,
        idleInterval: Duration = .seconds(1), lease: TimeInterval = 300,
        retry: RetryPolicy = RetryPolicy(attempts: 8, baseDelay: .seconds(30), maxDelay: .seconds(3600)),
        now: @escaping @Sendable () -> Date = { Date() }, observer: (any ProcessingObserver)? = nil, logger: Logger
    ) {
        self.observer = observer
        self.store = store
        self.adapters = adapters
        self.lease = lease
        self.retry = retry
        self.fetchers = Dictionary(fetchers.map { ($0.connector, $0) }, uniquingKeysWith: { first, _ in first })
        self.batchSize = max(1, batchSize)
        self.idleInterval = idleInterval
        self.now = now
        self.logger = logger
    }

    /// Asks the processor to look for work now.
    public func wake() {
        _ = wakeUps.withLock { $0?.yield() }
    }

    public func run() async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wakeUps.withLock { $0 = continuation }
        // Deliveries other instances store (PostgreSQL) wake this one too; the ticker is the backstop.
        let arrivals = store.inbox.arrivals()
        let watcher = Task {
            for await _ in arrivals { continuation.yield() }
        }
        let ticker = Task { [idleInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: idleInterval)
                continuation.yield()
            }
        }
        defer {
            watcher.cancel()
            ticker.cancel()
            continuation.finish()
        }
        continuation.yield()
        for await _ in stream.cancelOnGracefulShutdown() {
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
        let giveBack = unsettled.withLock { $0 }
        if !giveBack.isEmpty {
            try await store.inbox.releaseClaims(of: giveBack)
            unsettled.withLock { $0.removeAll { giveBack.contains($0) } }
        }
        while true {
            let batch = try await store.inbox.claimDeliveries(limit: batchSize, lease: lease, at: now())
            if batch.isEmpty { return settled }
            let results = await results(for: batch)
            let statuses: [DeliveryID: DeliveryStatus]
            do {
                statuses = try await store.inbox.settle(results, rules: ledger, at: now())
            } catch {
                // Nothing of the batch was settled: its claims go back to the queue, now or at the
                // start of the first pass that finds the store again, so the batch is retried then
                // instead of after its lease.
                do {
                    try await store.inbox.releaseClaims(of: batch.map(\.id))
                } catch {
                    unsettled.withLock { $0 += batch.map(\.id) }
                }
                throw error
            }
            for delivery in batch { observer?.settled(delivery.source, status: statuses[delivery.id]?.rawValue ?? "unknown") }
            for (id, status) in statuses where [.failed, .retrying, .dead].contains(status) {
                logger.warning("delivery not processed", metadata: ["delivery": "\(id)", "status": "\(status.rawValue)"])
            }
            settled += batch.count
        }
    }

    /// Maps a batch on every core (mapping is pure CPU work; the store's writer is one thread
    /// anyway), keeping the batch's order.
    private func results(for batch: [StoredDelivery]) async -> [(DeliveryID, ProcessingResult)] {
        let lanes = max(1, min(ProcessInfo.processInfo.activeProcessorCount, batch.count / 64))
        guard lanes > 1 else {
            var results: [(DeliveryID, ProcessingResult)] = []
            for delivery in batch { results.append((delivery.id, await result(for: delivery))) }
            return results
        }
        let size = (batch.count + lanes - 1) / lanes
        return await withTaskGroup(of: (Int, [(DeliveryID, ProcessingResult)]).self) { group in
            for lane in 0..<lanes {
                let slice = batch[min(lane * size, batch.count)..<min((lane + 1) * size, batch.count)]
                group.addTask {
                    var results: [(DeliveryID, ProcessingResult)] = []
                    for delivery in slice { results.append((delivery.id, await self.result(for: delivery))) }
                    return (lane, results)
                }
            }
            var lanesDone: [(Int, [(DeliveryID, ProcessingResult)])] = []
            for await done in group { lanesDone.append(done) }
            return lanesDone.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }

    /// What the current adapter makes of a stored delivery, fetching what a thin notification
    /// names. Used by processing and by replays alike; it never checks the signature again.
    public func result(for delivery: StoredDelivery) async -> ProcessingResult {
        guard let adapter = adapters[delivery.source] else {
            return .failed(reason: "no adapter is loaded for source '\(delivery.source)'", adapterVersion: nil)
        }
        do {
            switch try adapter.map(delivery.body) {
            case .mapped(let events): return .mapped(events, adapterVersion: adapter.version)
            case .ignored(let reason): return .ignored(reason: reason, adapterVersion: adapter.version)
            case .needsEnrichment(let requests):
                return try await enrich(requests, with: adapter, delivery: delivery)
            }
        } catch {
            return .failed(reason: error.description, adapterVersion: adapter.version)
        }
    }

    /// Fetches every entity (and its customer) a notification names, then maps them. A fetch that
    /// keeps failing leaves the delivery failed with the reason; a replay fetches again.
    private func enrich(_ requests: [EnrichmentRequest], with adapter: Adapter, delivery: StoredDelivery) async throws(MappingError) -> ProcessingResult {
        let connector = adapter.connector
        var fetched: [FetchedEntity] = []
        var customers: [String: JSONValue] = [:]
        for request in requests {
            guard let fetcher = fetchers[request.connector] else {
                return .failed(reason: Self.unconfigured(request.connector), adapterVersion: adapter.version)
            }
            do {
                guard request.needsFetch else {
                    fetched.append(FetchedEntity(request: request, entity: nil))
                    continue
                }
                let entity = try await fetcher.fetch(request)
                var customer: JSONValue?
                if request.entity != "Customer", let id = connector?.customerID(in: entity) {
                    if let known = customers[id] {
                        customer = known
                    } else {
                        let record = try await fetcher.fetch(
                            EnrichmentRequest(
                                connector: request.connector, account: request.account, entity: "Customer", id: id, operation: "Read",
                                occurredAt: nil))
                        customers[id] = record
                        customer = record
                    }
                }
                fetched.append(FetchedEntity(request: request, entity: entity, customer: customer))
            } catch {
                let reason = "\(adapter.source) fetch: \(error.reason)"
                guard error.transient else { return .failed(reason: reason, adapterVersion: adapter.version) }
                // Transient: try again later with backoff, until the retries are used up.
                let attempt = delivery.attempts + 1
                guard attempt < retry.attempts else {
                    return .dead(reason: "\(reason) (gave up after \(attempt) processing attempts)", adapterVersion: adapter.version)
                }
                let delay = retry.delay(beforeRetry: attempt)
                let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
                return .retry(reason: reason, adapterVersion: adapter.version, at: now().addingTimeInterval(seconds))
            }
        }
        switch try adapter.complete(fetched, body: delivery.body) {
        case .mapped(let events): return .mapped(events, adapterVersion: adapter.version)
        case .ignored(let reason): return .ignored(reason: reason, adapterVersion: adapter.version)
        case .needsEnrichment: return .failed(reason: "fetched entities asked for more fetching", adapterVersion: adapter.version)
        }
    }
}

extension DeliveryProcessor {
    /// Why a fetch could not be made: the client's configuration is missing.
    static func unconfigured(_ connector: String) -> String {
        switch connector {
        case "stripe": "no Stripe API client is configured; set GATEWAY_STRIPE_API_KEY"
        default: "no API client is configured for \(connector); set GATEWAY_\(connector.uppercased())_CLIENT_ID and its companions"
        }
    }
}
