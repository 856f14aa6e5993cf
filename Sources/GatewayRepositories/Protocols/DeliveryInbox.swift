public import Foundation
public import GatewayCore

/// Deliveries, from the durable write at ingest to their settlement, and refusals at ingest.
public protocol DeliveryInbox: Sendable {
    /// Stores a verified delivery durably, or finds it already stored; returns once committed.
    func ingest(_ delivery: IncomingDelivery) async throws -> IngestOutcome

    /// Claims the oldest deliveries due for processing, for `lease` seconds: new ones, retries
    /// whose time has come, and claims whose lease ran out. Newer deliveries never wait behind
    /// retries waiting for their time.
    func claimDeliveries(limit: Int, lease: TimeInterval, at now: Date) async throws -> [StoredDelivery]

    /// Yields when another process may have stored a delivery to process, so a processor need not
    /// wait for its next poll. A store only one process writes (SQLite) never yields: its ingest
    /// wakes the processor directly.
    func arrivals() -> AsyncStream<Void>

    /// Returns every claimed delivery to the queue (a process starting on a store only it uses).
    /// - Returns: how many claims were released.
    @discardableResult
    func releaseClaims() async throws -> Int

    /// Returns these claimed deliveries to the queue at once: a processing pass that failed before
    /// settling them (the store went away mid-batch) gives its claims back instead of leaving them
    /// until their lease ends. Deliveries no longer `processing` (settled after all) are left alone.
    func releaseClaims(of ids: [DeliveryID]) async throws

    /// Settles a batch in one transaction: each delivery's events and status land together
    /// (a delivery whose writes fail is rolled back alone and marked failed), the ledger is
    /// recomputed by `rules` when any event can concern the program, and each processed delivery
    /// records what its events did.
    @discardableResult
    func settle(_ results: [(DeliveryID, ProcessingResult)], rules: any LedgerRules, at now: Date) async throws -> [DeliveryID: DeliveryStatus]

    /// Settles fresh results of stored deliveries with the ledger recomputed whatever they hold,
    /// and compares the ledger before and after; a dry run rolls everything back.
    func replay(_ results: [(DeliveryID, ProcessingResult)], dryRun: Bool, rules: any LedgerRules, at now: Date) async throws -> ReplayOutcome

    /// Removes the raw bodies of deliveries in `statuses` received before `cutoff`, keeping their
    /// metadata, events and ledger effects.
    /// - Returns: how many bodies were removed.
    @discardableResult
    func pruneBodies(of statuses: [DeliveryStatus], receivedBefore cutoff: Date, at now: Date) async throws -> Int

    /// How many deliveries wait for the processor (stored, claimed, or retrying).
    func countAwaitingProcessing() async throws -> Int
    /// When the oldest delivery still waiting was received.
    func oldestAwaitingProcessing() async throws -> Date?

    func delivery(_ id: DeliveryID) async throws -> StoredDelivery?
    /// Deliveries matching `query`, newest first.
    func deliveries(matching query: DeliveryQuery) async throws -> [StoredDelivery]
    /// The ids of every delivery matching `query` (its limit ignored), oldest first.
    func deliveryIDs(matching query: DeliveryQuery) async throws -> [DeliveryID]
    /// The business events a delivery was mapped to, with the ledger's word on each.
    func businessEvents(of delivery: DeliveryID) async throws -> [RecordedBusinessEvent]
    /// Whether any stored event names this customer (`vendor:<source>:<id>`).
    func customerIsKnown(_ customerKey: String) async throws -> Bool

    /// Keeps refusals' metadata (never a body) in one transaction: `kept`, the rows to list, and
    /// `counted`, how many refusals there were by source and code (at least as many as kept: under
    /// a flood, only a sample is kept, and every refusal is counted). Then removes the kept rows
    /// older than `keepAfter` and the oldest beyond `maxRows`.
    func recordRejections(_ kept: [Rejection], counted: [RejectionCount], keepAfter: Date, maxRows: Int) async throws
    /// Refusals kept, newest first, optionally of one source or code and since a time.
    func rejections(source: String?, code: String?, since: Date?, limit: Int) async throws -> [Rejection]
    /// How many refusals there have been, by source and code, whether kept or only counted.
    func rejectionCounts() async throws -> [RejectionCount]
}

/// What a replay did (or, dry, would do): each delivery's status and the ledger's difference.
public struct ReplayOutcome: Sendable {
    public var statuses: [DeliveryID: DeliveryStatus]
    public var diff: LedgerDiff

    public init(statuses: [DeliveryID: DeliveryStatus], diff: LedgerDiff) {
        self.statuses = statuses
        self.diff = diff
    }
}

/// A business event as stored beside its delivery.
public struct RecordedBusinessEvent: Sendable, Hashable {
    public var event: BusinessEvent
    /// The adapter definition version that mapped it.
    public var adapterVersion: Int
    /// What the ledger did with it, in words.
    public var explanation: String

    public init(event: BusinessEvent, adapterVersion: Int, explanation: String) {
        self.event = event
        self.adapterVersion = adapterVersion
        self.explanation = explanation
    }
}

extension DeliveryInbox {
    /// The newest deliveries of one status.
    public func deliveries(status: DeliveryStatus, limit: Int = 100) async throws -> [StoredDelivery] {
        try await deliveries(matching: DeliveryQuery(statuses: [status], limit: limit))
    }
}
