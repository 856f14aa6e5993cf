public import Foundation
import GRDB
public import GatewayCore

extension GatewayDatabase {
    /// Stores a verified delivery durably, or finds it already stored. Returns once the
    /// transaction holding it has committed.
    public func ingest(_ delivery: IncomingDelivery) async throws -> IngestOutcome {
        try await inbox.append(delivery)
    }

    /// Claims the oldest deliveries due for processing, for `lease` seconds: new ones, retries whose
    /// time has come, and work a processor claimed but never finished (its lease ran out). Newer
    /// deliveries are never held up behind retries waiting for their time.
    public func claimDeliveries(limit: Int, lease: TimeInterval, at now: Date) async throws -> [StoredDelivery] {
        try await pool.write { db in
            try Row.fetchAll(
                db,
                sql: """
                    UPDATE delivery SET status = 'processing', lease_until = ?
                    WHERE id IN (
                        SELECT id FROM delivery
                        WHERE status = 'stored'
                           OR (status = 'retrying' AND next_attempt_at <= ?)
                           OR (status = 'processing' AND lease_until < ?)
                        ORDER BY id LIMIT ?)
                    RETURNING *
                    """,
                arguments: [now.addingTimeInterval(lease), now, now, limit]
            ).map(StoredDelivery.init(row:)).sorted { $0.id < $1.id }
        }
    }

    /// Returns every claimed delivery to the queue: for a gateway starting on its file, whose
    /// previous run died holding claims (one gateway process serves one SQLite file).
    ///
    /// - Returns: how many claims were released.
    @discardableResult
    public func releaseClaims() async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "UPDATE delivery SET status = 'stored', lease_until = NULL WHERE status = 'processing'")
            return db.changesCount
        }
    }

    /// Removes the raw bodies of processed and ignored deliveries received before `cutoff`, keeping
    /// their metadata, events and ledger effects. Failed, retrying and dead deliveries keep their
    /// bodies whatever their age: they are the ones a replay needs.
    ///
    /// - Returns: how many bodies were removed.
    @discardableResult
    public func pruneBodies(receivedBefore cutoff: Date, at now: Date) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE delivery SET body = x'', body_pruned_at = ?
                    WHERE status IN ('processed', 'ignored') AND received_at < ? AND body_pruned_at IS NULL
                    """,
                arguments: [now, cutoff])
            return db.changesCount
        }
    }

    /// How many deliveries wait for the processor (stored, claimed, or retrying).
    public func countAwaitingProcessing() async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM delivery WHERE status IN ('stored', 'processing', 'retrying')") ?? 0
        }
    }

    /// When the oldest delivery still waiting was received, if any waits.
    public func oldestAwaitingProcessing() async throws -> Date? {
        try await pool.read { db in
            try Date.fetchOne(db, sql: "SELECT MIN(received_at) FROM delivery WHERE status IN ('stored', 'processing', 'retrying')")
        }
    }

    /// One delivery, with its body.
    public func delivery(_ id: DeliveryID) async throws -> StoredDelivery? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM delivery WHERE id = ?", arguments: [id.rawValue]).map(StoredDelivery.init(row:))
        }
    }

    /// Deliveries, newest first, optionally of one status.
    public func deliveries(status: DeliveryStatus? = nil, limit: Int = 100) async throws -> [StoredDelivery] {
        try await pool.read { db in
            if let status {
                return try Row.fetchAll(
                    db, sql: "SELECT * FROM delivery WHERE status = ? ORDER BY id DESC LIMIT ?", arguments: [status.rawValue, limit]
                ).map(StoredDelivery.init(row:))
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM delivery ORDER BY id DESC LIMIT ?", arguments: [limit]).map(StoredDelivery.init(row:))
        }
    }

    /// The business events a delivery was mapped to, with the ledger's explanation of each.
    public func businessEvents(of delivery: DeliveryID) async throws -> [RecordedBusinessEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM business_event WHERE delivery_id = ? ORDER BY position", arguments: [delivery.rawValue]
            ).map { row in
                RecordedBusinessEvent(
                    event: try StoreCoding.value(BusinessEvent.self, from: row["payload"]),
                    adapterVersion: row["adapter_version"],
                    explanation: row["explanation"])
            }
        }
    }

    /// Settles a batch of deliveries in one transaction: each delivery's events and its new status
    /// land together, then the ledger is recomputed once for the batch (when any event concerns a
    /// referral) and each processed delivery says what its events did. A delivery whose writes
    /// throw is rolled back alone (a savepoint) and marked failed with the reason.
    ///
    /// - Returns: the status each delivery ended in.
    @discardableResult
    public func recordProcessing(_ results: [(DeliveryID, ProcessingResult)], at now: Date) async throws -> [DeliveryID: DeliveryStatus] {
        try await pool.write { db in try Self.settle(results, at: now, reproject: false, db) }
    }

    /// Replays deliveries through fresh results (the current adapters and program): the same
    /// settlement as processing, in one transaction, with the ledger recomputed and compared
    /// before and after. A dry run rolls everything back and only reports the difference.
    /// Signatures are not checked again: the stored verification stands.
    public func replay(_ results: [(DeliveryID, ProcessingResult)], dryRun: Bool, at now: Date) async throws -> ReplayOutcome {
        try await pool.writeWithoutTransaction { db in
            var outcome = ReplayOutcome(statuses: [:], diff: LedgerDiff())
            try db.inTransaction {
                let before = try Row.fetchAll(db, sql: "SELECT * FROM accrual").map(Accrual.init(row:))
                let statuses = try Self.settle(results, at: now, reproject: true, db)
                let after = try Row.fetchAll(db, sql: "SELECT * FROM accrual").map(Accrual.init(row:))
                outcome = ReplayOutcome(statuses: statuses, diff: LedgerDiff(before: before, after: after))
                if !dryRun {
                    try Self.audit(
                        "deliveries.replayed", subject: results.map { "delivery:\($0.0)" }.joined(separator: ","),
                        detail: ["created": "\(outcome.diff.created.count)", "changed": "\(outcome.diff.changed.count)",
                            "reversed": "\(outcome.diff.reversed.count)"], at: now, db)
                }
                return dryRun ? .rollback : .commit
            }
            return outcome
        }
    }

    private static func settle(
        _ results: [(DeliveryID, ProcessingResult)], at now: Date, reproject force: Bool, _ db: Database
    ) throws -> [DeliveryID: DeliveryStatus] {
        var statuses: [DeliveryID: DeliveryStatus] = [:]
        var mapped: [DeliveryID: [BusinessEvent]] = [:]
        for (id, result) in results {
            do {
                try db.inSavepoint {
                    statuses[id] = try Self.apply(result, to: id, at: now, db)
                    return .commit
                }
                if case .mapped(let events, _) = result { mapped[id] = events }
            } catch {
                try Self.setStatus(id, .failed, reason: "store: \(error)", adapterVersion: nil, at: now, db)
                statuses[id] = .failed
            }
        }
        guard force || !mapped.isEmpty else { return statuses }
        let keys = Set(mapped.values.flatMap { $0.flatMap(Self.lookupKeys(of:)) })
        let explanations = try force || Self.concernsProgram(keys, db) ? try Self.reproject(at: now, db).explanations : [:]
        for (id, events) in mapped {
            let reasons = try events.map { event in
                let explanation = explanations[event.businessKey]
                    ?? event.customer.map { "no referral matches customer \($0.source) \($0.id)" } ?? "\(event.kind.rawValue) recorded"
                let first = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT MIN(delivery_id) FROM business_event WHERE business_key = ?"), arguments: [event.businessKey])
                guard let first, first != id.rawValue else { return explanation }
                return "the same business effect as delivery \(first), counted once: \(explanation)"
            }
            try db.cachedStatement(sql: "UPDATE delivery SET status_reason = ? WHERE id = ?").execute(arguments: [reasons.joined(separator: "; "), id.rawValue])
            for (position, reason) in reasons.enumerated() {
                try db.cachedStatement(sql: "UPDATE business_event SET explanation = ? WHERE delivery_id = ? AND position = ?")
                    .execute(arguments: [reason, id.rawValue, position])
            }
        }
        return statuses
    }

    /// Whether any of these lookup keys can concern the program: a referral's or an override's
    /// key, an agreement of a referred customer, or a customer already matched to a referral by
    /// another of its events (a refund that names only the customer id; `matched_customer`, kept
    /// by the last recomputation, which every new match triggers). Only then can the ledger change.
    private static func concernsProgram(_ keys: Set<String>, _ db: Database) throws -> Bool {
        guard !keys.isEmpty else { return false }
        let list = Array(keys)
        let marks = Array(repeating: "?", count: list.count).joined(separator: ", ")
        if try Bool.fetchOne(
            db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM referral_key WHERE key IN (\(marks)))
                    OR EXISTS (SELECT 1 FROM attribution_override WHERE customer_key IN (\(marks)))
                    OR EXISTS (SELECT 1 FROM matched_customer WHERE customer_key IN (\(marks)))
                """,
            arguments: StatementArguments(list + list + list)) == true
        {
            return true
        }
        // An agreement event (a deletion) may name no customer: look its agreement up, starting
        // from the agreement's own key (CROSS JOIN keeps that order), never from every referred event.
        let agreements = list.filter { $0.hasPrefix("agreement:") }
        guard !agreements.isEmpty else { return false }
        return try Bool.fetchOne(
            db,
            sql: """
                SELECT EXISTS (
                    SELECT 1 FROM business_event_key same
                    CROSS JOIN business_event_key k ON k.delivery_id = same.delivery_id AND k.position = same.position
                    WHERE same.key IN (\(Array(repeating: "?", count: agreements.count).joined(separator: ", ")))
                        AND k.key IN (SELECT key FROM referral_key))
                """,
            arguments: StatementArguments(agreements)) ?? false
    }

    private static func apply(_ result: ProcessingResult, to id: DeliveryID, at now: Date, _ db: Database) throws -> DeliveryStatus {
        switch result {
        case .ignored(let reason, let version):
            try forgetEvents(of: id, db)
            try setStatus(id, .ignored, reason: reason, adapterVersion: version, at: now, db)
            return .ignored
        case .failed(let reason, let version):
            try forgetEvents(of: id, db)
            try setStatus(id, .failed, reason: reason, adapterVersion: version, at: now, db)
            return .failed
        case .retry(let reason, let version, let next):
            try setStatus(id, .retrying, reason: reason, adapterVersion: version, at: now, db)
            try db.execute(sql: "UPDATE delivery SET next_attempt_at = ? WHERE id = ?", arguments: [next, id.rawValue])
            return .retrying
        case .dead(let reason, let version):
            try setStatus(id, .dead, reason: reason, adapterVersion: version, at: now, db)
            return .dead
        case .mapped(let events, let version):
            try forgetEvents(of: id, db)
            for (position, event) in events.enumerated() {
                try recordEvent(event, delivery: id, position: position, adapterVersion: version, explanation: "recorded", db)
            }
            try setStatus(id, .processed, reason: "recorded", adapterVersion: version, at: now, db)
            return .processed
        }
    }

    /// Drops a delivery's previous events before it is settled again (a replay after a mapping fix).
    private static func forgetEvents(of id: DeliveryID, _ db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM business_event_key WHERE delivery_id = ?").execute(arguments: [id.rawValue])
        try db.cachedStatement(sql: "DELETE FROM business_event WHERE delivery_id = ?").execute(arguments: [id.rawValue])
    }

    private static func setStatus(
        _ id: DeliveryID, _ status: DeliveryStatus, reason: String?, adapterVersion: Int?, at now: Date, _ db: Database
    ) throws {
        try db.cachedStatement(
            sql: """
                UPDATE delivery SET status = ?, status_reason = ?, adapter_version = COALESCE(?, adapter_version),
                    processed_at = ?, attempts = attempts + 1, lease_until = NULL, next_attempt_at = NULL
                WHERE id = ?
                """
        ).execute(arguments: [status.rawValue, reason, adapterVersion, now, id.rawValue])
    }
}

/// What a replay did (or, dry, would do): each delivery's status and the ledger's difference.
public struct ReplayOutcome: Sendable {
    public var statuses: [DeliveryID: DeliveryStatus]
    public var diff: LedgerDiff
}

/// A business event as stored beside its delivery.
public struct RecordedBusinessEvent: Sendable, Hashable {
    public var event: BusinessEvent
    /// The adapter definition version that mapped it.
    public var adapterVersion: Int
    /// What the ledger did with it, in words.
    public var explanation: String
}

extension StoredDelivery {
    init(row: Row) throws {
        self.init(
            id: DeliveryID(row["id"]),
            source: row["source"],
            vendorDeliveryID: row["vendor_delivery_id"],
            eventType: row["event_type"],
            receivedAt: row["received_at"],
            requestID: row["request_id"],
            body: row["body"],
            headers: try StoreCoding.value([String: String].self, from: row["headers"]),
            verification: try StoreCoding.value(Verification.self, from: row["verification"]),
            status: DeliveryStatus(rawValue: row["status"]) ?? .failed,
            statusReason: row["status_reason"],
            adapterVersion: row["adapter_version"],
            processedAt: row["processed_at"],
            attempts: row["attempts"],
            nextAttemptAt: row["next_attempt_at"],
            duplicateCount: row["duplicate_count"],
            lastDuplicateAt: row["last_duplicate_at"],
            bodyPrunedAt: row["body_pruned_at"])
    }
}
