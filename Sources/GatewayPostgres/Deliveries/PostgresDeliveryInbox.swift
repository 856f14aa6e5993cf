public import Foundation
public import GatewayCore
public import GatewayRepositories
import Logging
import PostgresNIO

/// The inbox's tables in PostgreSQL, shared by every gateway instance on the database: deliveries,
/// their events, and refusals.
///
/// A vendor retry that reaches another instance is a duplicate by the `(source,
/// vendor_delivery_id)` unique constraint, never a second row. Processing is claimed with
/// `FOR UPDATE SKIP LOCKED` under a lease (`lease_until`): two instances never claim the same
/// delivery, neither waits for the other's claim, and the work of an instance that died is taken
/// over once its lease has run out.
///
/// When a batch's events can concern the program, the whole ledger is recomputed in the settling
/// transaction (`PostgresLedger`), under a lock that serializes recomputations across instances.
public struct PostgresDeliveryInbox: DeliveryInbox {
    let database: PostgresGatewayDatabase
    /// The engine's rules for outbound events, asked in each transaction whose change makes one.
    let outbound: any OutboundEventRules
    private var logger: Logger { database.logger }

    /// The inbox in `database`, which must be migrated.
    public init(database: PostgresGatewayDatabase, outbound: any OutboundEventRules) {
        self.database = database
        self.outbound = outbound
    }

    /// A repository that announces no outbound event, for tests of other concerns.
    init(database: PostgresGatewayDatabase) {
        self.init(database: database, outbound: NoOutboundEvents())
    }

    // MARK: Ingest and claims

    /// Stores a verified delivery, or counts a retry of one already stored. Each statement commits
    /// on its own, so the delivery is durable when this returns.
    public func ingest(_ delivery: IncomingDelivery) async throws -> IngestOutcome {
        let headers = try ColumnJSON.text(delivery.headers)
        let verification = try ColumnJSON.text(delivery.verification)
        return try await database.withConnection { connection in
            // A retry is counted on the stored row first, so it does not use up an identity value.
            if let existing = try await countDuplicate(delivery, connection) { return .duplicate(existing) }
            // The notification goes out with the commit, in the same statement: every instance's
            // processor wakes for the new delivery.
            let inserted = try await connection.execute(
                """
                WITH inserted AS (
                    INSERT INTO delivery (source, vendor_delivery_id, event_type, received_at, request_id, body, headers, verification, status)
                    VALUES (\(delivery.source), \(delivery.vendorDeliveryID), \(delivery.eventType), \(delivery.receivedAt), \(delivery.requestID),
                        \(delivery.body), \(headers), \(verification), 'stored')
                    ON CONFLICT (source, vendor_delivery_id) DO NOTHING
                    RETURNING id)
                SELECT id, pg_notify(\(Self.arrivalChannel), current_schema()) FROM inserted
                """, logger: logger)
            if let row = inserted.first { return .stored(DeliveryID(try row.decode(Int64.self))) }
            // Another instance stored the same delivery between the two statements (this insert
            // waited for its commit, then did nothing): the constraint kept one row.
            if let existing = try await countDuplicate(delivery, connection) { return .duplicate(existing) }
            throw GatewayError.conflict("delivery \(delivery.vendorDeliveryID) of \(delivery.source) was stored and removed while it was ingested")
        }
    }

    /// The `NOTIFY` channel a stored delivery signals on, with the schema as its payload.
    static let arrivalChannel = "gateway_delivery_stored"

    /// Yields after any instance stores a new delivery in this schema, so every instance's
    /// processor looks for work at once instead of at its next poll.
    public func arrivals() -> AsyncStream<Void> {
        database.notifications(on: Self.arrivalChannel, what: "stored deliveries")
    }

    private func countDuplicate(_ delivery: IncomingDelivery, _ connection: PostgresConnection) async throws -> DeliveryID? {
        try await connection.execute(
            """
            UPDATE delivery SET duplicate_count = duplicate_count + 1, last_duplicate_at = \(delivery.receivedAt)
            WHERE source = \(delivery.source) AND vendor_delivery_id = \(delivery.vendorDeliveryID)
            RETURNING id
            """, logger: logger
        ).first.map { DeliveryID(try $0.decode(Int64.self)) }
    }

    /// Claims the oldest deliveries due for processing, for `lease` seconds: new ones, retries whose
    /// time has come, and claims whose lease ran out. Rows another instance is claiming at this
    /// moment are skipped, not waited for (`SKIP LOCKED`): each instance takes the next ones.
    public func claimDeliveries(limit: Int, lease: TimeInterval, at now: Date) async throws -> [StoredDelivery] {
        try await database.rows(
            """
            UPDATE delivery SET status = 'processing', lease_until = \(now.addingTimeInterval(lease))
            WHERE id IN (
                SELECT id FROM delivery
                WHERE status = 'stored'
                   OR (status = 'retrying' AND next_attempt_at <= \(now))
                   OR (status = 'processing' AND lease_until < \(now))
                ORDER BY id LIMIT \(max(0, limit))
                FOR UPDATE SKIP LOCKED)
            RETURNING *
            """
        ).map(StoredDelivery.init(postgres:)).sorted { $0.id < $1.id }
    }

    /// Returns to the queue the claims whose lease has run out by the database's clock. Unlike the
    /// SQLite store, whose file one process serves, a starting instance must not take back the
    /// claims other running instances hold: only the claims nobody holds any more are released.
    ///
    /// - Returns: how many claims were released.
    @discardableResult
    public func releaseClaims() async throws -> Int {
        try await count(
            """
            WITH released AS (
                UPDATE delivery SET status = 'stored', lease_until = NULL
                WHERE status = 'processing' AND lease_until < now()
                RETURNING 1)
            SELECT COUNT(*) FROM released
            """)
    }

    public func releaseClaims(of ids: [DeliveryID]) async throws {
        guard !ids.isEmpty else { return }
        try await database.execute(
            "UPDATE delivery SET status = 'stored', lease_until = NULL WHERE status = 'processing' AND id = ANY(\(ids.map(\.rawValue)))")
    }

    public func pruneBodies(of statuses: [DeliveryStatus], receivedBefore cutoff: Date, at now: Date) async throws -> Int {
        guard !statuses.isEmpty else { return 0 }
        return try await count(
            """
            WITH pruned AS (
                UPDATE delivery SET body = ''::bytea, body_pruned_at = \(now)
                WHERE status = ANY(\(statuses.map(\.rawValue))) AND received_at < \(cutoff) AND body_pruned_at IS NULL
                RETURNING 1)
            SELECT COUNT(*) FROM pruned
            """)
    }

    public func countAwaitingProcessing() async throws -> Int {
        try await count("SELECT COUNT(*) FROM delivery WHERE status IN ('stored', 'processing', 'retrying')")
    }

    public func oldestAwaitingProcessing() async throws -> Date? {
        try await database.rows("SELECT MIN(received_at) FROM delivery WHERE status IN ('stored', 'processing', 'retrying')")
            .first?.decode(Date?.self) ?? nil
    }

    public func delivery(_ id: DeliveryID) async throws -> StoredDelivery? {
        try await database.rows("SELECT * FROM delivery WHERE id = \(id.rawValue)").first.map(StoredDelivery.init(postgres:))
    }

    public func businessEvents(of delivery: DeliveryID) async throws -> [RecordedBusinessEvent] {
        try await database.rows(
            "SELECT payload, adapter_version, explanation FROM business_event WHERE delivery_id = \(delivery.rawValue) ORDER BY position"
        ).map { row in
            let (payload, version, explanation) = try row.decode((String, Int, String).self)
            return RecordedBusinessEvent(event: try ColumnJSON.value(BusinessEvent.self, from: payload), adapterVersion: version, explanation: explanation)
        }
    }

    // MARK: Settlement

    /// Settles a batch in one transaction: each delivery's events and new status land together (a
    /// delivery whose writes fail is rolled back alone, to a savepoint, and marked failed), the
    /// ledger is recomputed when any event can concern the program, and each processed delivery
    /// says what its events did.
    @discardableResult
    public func settle(_ results: [(DeliveryID, ProcessingResult)], rules: any LedgerRules, at now: Date) async throws -> [DeliveryID: DeliveryStatus] {
        try await database.transaction { connection in try await settle(results, rules: rules, at: now, recompute: false, connection) }
    }

    /// Settles fresh results of stored deliveries with the whole ledger recomputed, and compares the
    /// ledger before and after; a dry run rolls everything back. Signatures are not checked again:
    /// the stored verification stands.
    public func replay(_ results: [(DeliveryID, ProcessingResult)], dryRun: Bool, rules: any LedgerRules, at now: Date) async throws -> ReplayOutcome {
        try await database.withConnection { connection in
            try await connection.execute("BEGIN", logger: logger)
            do {
                // Under the recomputation lock from the first read, so the ledger compared is the one replaced.
                try await connection.take(.recomputation, logger: logger)
                let before = try await connection.execute("SELECT * FROM accrual", logger: logger).map { try Accrual(postgres: $0.makeRandomAccess()) }
                let statuses = try await settle(results, rules: rules, at: now, recompute: true, connection)
                let after = try await connection.execute("SELECT * FROM accrual", logger: logger).map { try Accrual(postgres: $0.makeRandomAccess()) }
                let outcome = ReplayOutcome(statuses: statuses, diff: LedgerDiff(before: before, after: after))
                if dryRun {
                    try await connection.execute("ROLLBACK", logger: logger)
                } else {
                    try await connection.audit(
                        "deliveries.replayed", subject: results.map { "delivery:\($0.0)" }.joined(separator: ","),
                        detail: ["created": "\(outcome.diff.created.count)", "changed": "\(outcome.diff.changed.count)",
                            "reversed": "\(outcome.diff.reversed.count)"], at: now, logger: logger)
                    try await connection.execute("COMMIT", logger: logger)
                }
                return outcome
            } catch {
                _ = try? await connection.execute("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    private func settle(
        _ results: [(DeliveryID, ProcessingResult)], rules: any LedgerRules, at now: Date, recompute force: Bool, _ connection: PostgresConnection
    ) async throws -> [DeliveryID: DeliveryStatus] {
        var statuses: [DeliveryID: DeliveryStatus] = [:]
        var mapped: [(DeliveryID, [BusinessEvent])] = []
        // A batch with events takes the recomputation lock before it writes anything: whether its
        // events concern the program is then read with no recomputation running elsewhere, and a
        // recomputation that starts after it sees its events. Such batches settle one at a time
        // across instances; the others (ignored, failed, retried) never wait.
        if force || results.contains(where: { if case .mapped = $0.1 { true } else { false } }) {
            try await connection.take(.recomputation, logger: logger)
        }
        for (id, result) in results {
            try await connection.execute("SAVEPOINT settle_delivery", logger: logger)
            do {
                statuses[id] = try await apply(result, to: id, at: now, connection)
                try await connection.execute("RELEASE SAVEPOINT settle_delivery", logger: logger)
                if case .mapped(let events, _) = result { mapped.append((id, events)) }
            } catch {
                try await connection.execute("ROLLBACK TO SAVEPOINT settle_delivery", logger: logger)
                try await setStatus(id, .failed, reason: "store: \(error)", adapterVersion: nil, at: now, connection)
                statuses[id] = .failed
            }
        }
        // Receivers hear of deliveries that failed or died, in this transaction.
        var settled: [OutboundChange] = []
        for (id, status) in statuses.sorted(by: { $0.key < $1.key }) where status == .failed || status == .dead {
            if let delivery = try await PostgresOutbox.settledDelivery(id, connection, logger: logger) { settled.append(.deliverySettled(delivery)) }
        }
        try await PostgresOutbox.announce(settled, outbound, at: now, connection, logger: logger)
        guard force || !mapped.isEmpty else { return statuses }
        // The whole ledger is recomputed (the reference answer) when the batch can concern the
        // program, and nothing when it cannot.
        let keys = Set(mapped.flatMap(\.1).flatMap(\.lookupKeys)).sorted()
        let explanations: [String: String]
        let concernsProgram = force ? true : try await concernsProgram(keys, connection)
        if concernsProgram {
            explanations = try await PostgresLedger.recompute(rules, outbound: outbound, at: now, connection, logger: logger)
        } else {
            explanations = [:]
        }
        for (id, events) in mapped {
            var firstDelivery: [String: DeliveryID] = [:]
            for event in events {
                let first = try await connection.execute(
                    "SELECT MIN(delivery_id) FROM business_event WHERE business_key = \(event.businessKey)", logger: logger)
                firstDelivery[event.businessKey] = try first.first?.decode(Int64?.self).map(DeliveryID.init)
            }
            let reasons = rules.explain(events, of: id, explanations: explanations, firstDelivery: firstDelivery)
            try await connection.execute(
                "UPDATE delivery SET status_reason = \(reasons.joined(separator: "; ")) WHERE id = \(id.rawValue)", logger: logger)
            for (position, reason) in reasons.enumerated() {
                try await connection.execute(
                    "UPDATE business_event SET explanation = \(reason) WHERE delivery_id = \(id.rawValue) AND position = \(position)",
                    logger: logger)
            }
        }
        return statuses
    }

    /// Whether any of these lookup keys can concern the program: a referral's or an override's key,
    /// a customer already matched to a referral, or an agreement of a referred customer.
    private func concernsProgram(_ keys: [String], _ connection: PostgresConnection) async throws -> Bool {
        let agreements = keys.filter { $0.hasPrefix("agreement:") }
        let rows = try await connection.execute(
            """
            SELECT EXISTS (SELECT 1 FROM referral_key WHERE key = ANY(\(keys)))
                OR EXISTS (SELECT 1 FROM attribution_override WHERE customer_key = ANY(\(keys)))
                OR EXISTS (SELECT 1 FROM matched_customer WHERE customer_key = ANY(\(keys)))
                OR EXISTS (
                    SELECT 1 FROM business_event_key same
                    JOIN business_event_key k ON k.delivery_id = same.delivery_id AND k.position = same.position
                    WHERE same.key = ANY(\(agreements)) AND k.key IN (SELECT key FROM referral_key))
            """, logger: logger)
        return try rows.first?.decode(Bool.self) ?? false
    }

    private func apply(_ result: ProcessingResult, to id: DeliveryID, at now: Date, _ connection: PostgresConnection) async throws -> DeliveryStatus {
        switch result {
        case .ignored(let reason, let version):
            try await forgetEvents(of: id, connection)
            try await setStatus(id, .ignored, reason: reason, adapterVersion: version, at: now, connection)
            return .ignored
        case .failed(let reason, let version):
            try await forgetEvents(of: id, connection)
            try await setStatus(id, .failed, reason: reason, adapterVersion: version, at: now, connection)
            return .failed
        case .retry(let reason, let version, let next):
            try await setStatus(id, .retrying, reason: reason, adapterVersion: version, at: now, connection)
            try await connection.execute("UPDATE delivery SET next_attempt_at = \(next) WHERE id = \(id.rawValue)", logger: logger)
            return .retrying
        case .dead(let reason, let version):
            try await setStatus(id, .dead, reason: reason, adapterVersion: version, at: now, connection)
            return .dead
        case .mapped(let events, let version):
            try await forgetEvents(of: id, connection)
            for (position, event) in events.enumerated() {
                try await recordEvent(event, delivery: id, position: position, adapterVersion: version, connection)
            }
            try await setStatus(id, .processed, reason: "recorded", adapterVersion: version, at: now, connection)
            return .processed
        }
    }

    /// Writes one event of a delivery and its lookup keys.
    private func recordEvent(_ event: BusinessEvent, delivery: DeliveryID, position: Int, adapterVersion: Int, _ connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            INSERT INTO business_event (delivery_id, position, kind, business_key, adapter_version, payload, explanation, customer_key, occurred_at)
            VALUES (\(delivery.rawValue), \(position), \(event.kind.rawValue), \(event.businessKey), \(adapterVersion),
                \(try ColumnJSON.text(event)), 'recorded', \(event.customerKey), \(event.occurredAt))
            """, logger: logger)
        try await connection.execute(
            """
            INSERT INTO business_event_key (key, delivery_id, position)
            SELECT key, \(delivery.rawValue), \(position) FROM unnest(\(Set(event.lookupKeys).sorted())::text[]) AS key
            """, logger: logger)
    }

    /// Drops a delivery's previous events before it is settled again (a replay after a mapping fix).
    private func forgetEvents(of id: DeliveryID, _ connection: PostgresConnection) async throws {
        try await connection.execute("DELETE FROM business_event_key WHERE delivery_id = \(id.rawValue)", logger: logger)
        try await connection.execute("DELETE FROM business_event WHERE delivery_id = \(id.rawValue)", logger: logger)
    }

    private func setStatus(
        _ id: DeliveryID, _ status: DeliveryStatus, reason: String?, adapterVersion: Int?, at now: Date, _ connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            UPDATE delivery SET status = \(status.rawValue), status_reason = \(reason), adapter_version = COALESCE(\(adapterVersion), adapter_version),
                processed_at = \(now), attempts = attempts + 1, lease_until = NULL, next_attempt_at = NULL
            WHERE id = \(id.rawValue)
            """, logger: logger)
    }

    // MARK: Search and refusals

    public func deliveries(matching query: DeliveryQuery) async throws -> [StoredDelivery] {
        try await database.rows(Self.search(query, select: "*", order: "id DESC", limit: max(1, query.limit))).map(StoredDelivery.init(postgres:))
    }

    public func deliveryIDs(matching query: DeliveryQuery) async throws -> [DeliveryID] {
        try await database.rows(Self.search(query, select: "id", order: "id", limit: nil)).map { DeliveryID(try $0.decode(Int64.self)) }
    }

    /// One statement for every query: a filter left empty is a null parameter that matches all, so
    /// the SQL text never varies with the values.
    private static func search(_ query: DeliveryQuery, select: String, order: String, limit: Int?) -> PostgresQuery {
        """
        SELECT \(unescaped: select) FROM delivery
        WHERE (\(query.source)::text IS NULL OR source = \(query.source))
            AND (cardinality(\(query.statuses.map(\.rawValue))::text[]) = 0 OR status = ANY(\(query.statuses.map(\.rawValue))))
            AND (NOT \(query.duplicatesOnly) OR duplicate_count > 0)
            AND (\(query.eventType)::text IS NULL OR event_type = \(query.eventType))
            AND (\(query.vendorDeliveryID)::text IS NULL OR vendor_delivery_id = \(query.vendorDeliveryID))
            AND (\(query.customerKey)::text IS NULL OR id IN (SELECT delivery_id FROM business_event WHERE customer_key = \(query.customerKey)))
            AND (\(query.receivedFrom)::timestamptz IS NULL OR received_at >= \(query.receivedFrom))
            AND (\(query.receivedBefore)::timestamptz IS NULL OR received_at < \(query.receivedBefore))
            AND (\(query.beforeID)::bigint IS NULL OR id < \(query.beforeID))
        ORDER BY \(unescaped: order) LIMIT \(limit)
        """
    }

    public func customerIsKnown(_ customerKey: String) async throws -> Bool {
        try await database.rows("SELECT EXISTS (SELECT 1 FROM business_event WHERE customer_key = \(customerKey))").first?.decode(Bool.self) ?? false
    }

    public func recordRejections(_ kept: [Rejection], counted: [RejectionCount], keepAfter: Date, maxRows: Int) async throws {
        try await database.transaction { connection in
            for rejection in kept {
                try await connection.execute(
                    """
                    INSERT INTO rejection (at, source, code, reason, status, size, remote_address, request_id)
                    VALUES (\(rejection.at), \(rejection.source), \(rejection.code), \(rejection.reason), \(rejection.status), \(rejection.size),
                        \(rejection.remoteAddress), \(rejection.requestID))
                    """, logger: logger)
            }
            for count in counted {
                try await connection.execute(
                    """
                    INSERT INTO rejection_tally AS tally (source, code, count) VALUES (\(count.source), \(count.code), \(count.count))
                    ON CONFLICT (source, code) DO UPDATE SET count = tally.count + excluded.count
                    """, logger: logger)
            }
            try await connection.execute("DELETE FROM rejection WHERE at < \(keepAfter)", logger: logger)
            try await connection.execute("DELETE FROM rejection WHERE id <= (SELECT MAX(id) FROM rejection) - \(max(0, maxRows))", logger: logger)
        }
    }

    public func rejections(source: String?, code: String?, since: Date?, limit: Int) async throws -> [Rejection] {
        try await database.rows(
            """
            SELECT at, source, code, reason, status, size, remote_address, request_id FROM rejection
            WHERE (\(source)::text IS NULL OR source = \(source))
                AND (\(code)::text IS NULL OR code = \(code))
                AND (\(since)::timestamptz IS NULL OR at >= \(since))
            ORDER BY id DESC LIMIT \(limit)
            """
        ).map { row in
            let (at, source, code, reason, status, size, remoteAddress, requestID) = try row.decode(
                (Date, String, String, String, Int, Int?, String?, String?).self)
            return Rejection(at: at, source: source, code: code, reason: reason, status: status, size: size, remoteAddress: remoteAddress, requestID: requestID)
        }
    }

    public func rejectionCounts() async throws -> [RejectionCount] {
        try await database.rows("SELECT source, code, count FROM rejection_tally ORDER BY source, code").map { row in
            let (source, code, count) = try row.decode((String, String, Int).self)
            return RejectionCount(source: source, code: code, count: count)
        }
    }

    /// A statement's single count.
    private func count(_ query: PostgresQuery) async throws -> Int {
        try await database.rows(query).first?.decode(Int.self) ?? 0
    }
}
