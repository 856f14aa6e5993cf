import Foundation
import GRDB
import GatewayCore
import GatewayRepositories

/// The inbox's tables in the SQLite file: deliveries, their events, and refusals.
struct SQLiteDeliveryInbox: DeliveryInbox {
    let writer: any DatabaseWriter
    let groupCommit: GroupCommitInbox
    let outbound: any OutboundEventRules

    func ingest(_ delivery: IncomingDelivery) async throws -> IngestOutcome {
        try await groupCommit.append(delivery)
    }

    /// Claims the oldest deliveries due for processing, for `lease` seconds: new ones, retries whose
    /// time has come, and work a processor claimed but never finished (its lease ran out). Newer
    /// deliveries are never held up behind retries waiting for their time.
    func claimDeliveries(limit: Int, lease: TimeInterval, at now: Date) async throws -> [StoredDelivery] {
        try await writer.write { db in
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

    /// Never yields: one gateway process serves the file, and its ingest wakes its processor.
    func arrivals() -> AsyncStream<Void> {
        AsyncStream { $0.finish() }
    }

    /// Returns every claimed delivery to the queue: for a gateway starting on its file, whose
    /// previous run died holding claims (one gateway process serves one SQLite file).
    ///
    /// - Returns: how many claims were released.
    @discardableResult
    func releaseClaims() async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: "UPDATE delivery SET status = 'stored', lease_until = NULL WHERE status = 'processing'")
            return db.changesCount
        }
    }

    func releaseClaims(of ids: [DeliveryID]) async throws {
        guard !ids.isEmpty else { return }
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE delivery SET status = 'stored', lease_until = NULL
                    WHERE status = 'processing' AND id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))
                    """, arguments: StatementArguments(ids.map(\.rawValue)))
        }
    }

    @discardableResult
    func pruneBodies(of statuses: [DeliveryStatus], receivedBefore cutoff: Date, at now: Date) async throws -> Int {
        guard !statuses.isEmpty else { return 0 }
        return try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE delivery SET body = x'', body_pruned_at = ?
                    WHERE status IN (\(Array(repeating: "?", count: statuses.count).joined(separator: ", "))) AND received_at < ?
                        AND body_pruned_at IS NULL
                    """,
                arguments: StatementArguments([now] + statuses.map(\.rawValue) + [cutoff]))
            return db.changesCount
        }
    }

    /// How many deliveries wait for the processor (stored, claimed, or retrying).
    func countAwaitingProcessing() async throws -> Int {
        try await writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM delivery WHERE status IN ('stored', 'processing', 'retrying')") ?? 0
        }
    }

    /// When the oldest delivery still waiting was received, if any waits.
    func oldestAwaitingProcessing() async throws -> Date? {
        try await writer.read { db in
            try Date.fetchOne(db, sql: "SELECT MIN(received_at) FROM delivery WHERE status IN ('stored', 'processing', 'retrying')")
        }
    }

    /// One delivery, with its body.
    func delivery(_ id: DeliveryID) async throws -> StoredDelivery? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM delivery WHERE id = ?", arguments: [id.rawValue]).map(StoredDelivery.init(row:))
        }
    }

    /// The business events a delivery was mapped to, with the ledger's explanation of each.
    func businessEvents(of delivery: DeliveryID) async throws -> [RecordedBusinessEvent] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM business_event WHERE delivery_id = ? ORDER BY position", arguments: [delivery.rawValue]
            ).map { row in
                RecordedBusinessEvent(
                    event: try ColumnJSON.value(BusinessEvent.self, from: row["payload"]),
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
    func settle(_ results: [(DeliveryID, ProcessingResult)], rules: any LedgerRules, at now: Date) async throws -> [DeliveryID: DeliveryStatus] {
        try await writer.write { db in try Self.settle(results, rules: rules, outbound: outbound, at: now, recompute: false, db) }
    }

    /// Replays deliveries through fresh results (the current adapters and program): the same
    /// settlement as processing, in one transaction, with the ledger recomputed and compared
    /// before and after. A dry run rolls everything back and only reports the difference.
    /// Signatures are not checked again: the stored verification stands.
    func replay(_ results: [(DeliveryID, ProcessingResult)], dryRun: Bool, rules: any LedgerRules, at now: Date) async throws -> ReplayOutcome {
        try await writer.writeWithoutTransaction { db in
            var outcome = ReplayOutcome(statuses: [:], diff: LedgerDiff())
            try db.inTransaction {
                let before = try Row.fetchAll(db, sql: "SELECT * FROM accrual").map(Accrual.init(row:))
                let statuses = try Self.settle(results, rules: rules, outbound: outbound, at: now, recompute: true, db)
                let after = try Row.fetchAll(db, sql: "SELECT * FROM accrual").map(Accrual.init(row:))
                outcome = ReplayOutcome(statuses: statuses, diff: LedgerDiff(before: before, after: after))
                if !dryRun {
                    try LedgerSQL.audit(
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
        _ results: [(DeliveryID, ProcessingResult)], rules: any LedgerRules, outbound: any OutboundEventRules, at now: Date, recompute force: Bool,
        _ db: Database
    ) throws -> [DeliveryID: DeliveryStatus] {
        var statuses: [DeliveryID: DeliveryStatus] = [:]
        var mapped: [(DeliveryID, [BusinessEvent])] = []
        for (id, result) in results {
            do {
                try db.inSavepoint {
                    statuses[id] = try Self.apply(result, to: id, at: now, db)
                    return .commit
                }
                if case .mapped(let events, _) = result { mapped.append((id, events)) }
            } catch {
                try Self.setStatus(id, .failed, reason: "store: \(error)", adapterVersion: nil, at: now, db)
                statuses[id] = .failed
            }
        }
        // Receivers hear of deliveries that failed or died, in this transaction.
        var settled: [OutboundChange] = []
        for (id, status) in statuses where status == .failed || status == .dead {
            if let delivery = try settledDelivery(id, db) { settled.append(.deliverySettled(delivery)) }
        }
        try OutboxSQL.announce(settled, outbound, at: now, db)
        guard force || !mapped.isEmpty else { return statuses }
        // A replay recomputes everything, so its difference is the whole ledger's; processing
        // recomputes only the part of the ledger the batch can change, and nothing when it
        // cannot concern the program at all.
        let batch = mapped.flatMap(\.1)
        let explanations: [String: String]
        if force {
            explanations = try LedgerSQL.recompute(rules, outbound: outbound, at: now, db)
        } else if try Self.concernsProgram(Set(batch.flatMap(\.lookupKeys)), db) {
            explanations = try LedgerSQL.recompute(rules, outbound: outbound, batch: batch, at: now, db)
        } else {
            explanations = [:]
        }
        let first = try db.cachedStatement(sql: "SELECT MIN(delivery_id) FROM business_event WHERE business_key = ?")
        for (id, events) in mapped {
            var firstDelivery: [String: DeliveryID] = [:]
            for event in events {
                firstDelivery[event.businessKey] = try Int64.fetchOne(first, arguments: [event.businessKey]).map(DeliveryID.init)
            }
            let reasons = rules.explain(events, of: id, explanations: explanations, firstDelivery: firstDelivery)
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
        // In pieces: a statement takes a bounded number of arguments, and a batch can hold more keys.
        for list in Array(keys).chunked(300) {
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
        }
        // An agreement event (a deletion) may name no customer: look its agreement up, starting
        // from the agreement's own key (CROSS JOIN keeps that order), never from every referred event.
        for agreements in keys.filter({ $0.hasPrefix("agreement:") }).chunked(300) {
            if try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (
                        SELECT 1 FROM business_event_key same
                        CROSS JOIN business_event_key k ON k.delivery_id = same.delivery_id AND k.position = same.position
                        WHERE same.key IN (\(Array(repeating: "?", count: agreements.count).joined(separator: ", ")))
                            AND k.key IN (SELECT key FROM referral_key))
                    """,
                arguments: StatementArguments(agreements)) == true
            {
                return true
            }
        }
        return false
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
                try LedgerSQL.recordEvent(event, delivery: id, position: position, adapterVersion: version, explanation: "recorded", db)
            }
            try setStatus(id, .processed, reason: "recorded", adapterVersion: version, at: now, db)
            return .processed
        }
    }

    /// A delivery's metadata and outcome, without its body.
    private static func settledDelivery(_ id: DeliveryID, _ db: Database) throws -> SettledDelivery? {
        try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT id, source, vendor_delivery_id, event_type, received_at, status, status_reason, attempts FROM delivery WHERE id = ?"),
            arguments: [id.rawValue]
        ).map { row in
            SettledDelivery(
                id: DeliveryID(row["id"]), source: row["source"], vendorDeliveryID: row["vendor_delivery_id"], eventType: row["event_type"],
                receivedAt: row["received_at"], status: DeliveryStatus(rawValue: row["status"]) ?? .failed, reason: row["status_reason"],
                attempts: row["attempts"])
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

    // MARK: Search and refusals

    func deliveries(matching query: DeliveryQuery) async throws -> [StoredDelivery] {
        try await writer.read { db in
            let (condition, arguments) = query.condition
            return try Row.fetchAll(
                db, sql: "SELECT * FROM delivery WHERE \(condition) ORDER BY id DESC LIMIT ?",
                arguments: StatementArguments(arguments + [max(1, query.limit)])
            ).map(StoredDelivery.init(row:))
        }
    }

    func deliveryIDs(matching query: DeliveryQuery) async throws -> [DeliveryID] {
        try await writer.read { db in
            let (condition, arguments) = query.condition
            return try Int64.fetchAll(db, sql: "SELECT id FROM delivery WHERE \(condition) ORDER BY id", arguments: StatementArguments(arguments))
                .map(DeliveryID.init)
        }
    }

    func customerIsKnown(_ customerKey: String) async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM business_event WHERE customer_key = ?)", arguments: [customerKey]) ?? false
        }
    }

    func recordRejections(_ kept: [Rejection], counted: [RejectionCount], keepAfter: Date, maxRows: Int) async throws {
        try await writer.write { db in
            let insert = try db.cachedStatement(
                sql: "INSERT INTO rejection (at, source, code, reason, status, size, remote_address, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for rejection in kept {
                try insert.execute(arguments: [
                    rejection.at, rejection.source, rejection.code, rejection.reason, rejection.status, rejection.size, rejection.remoteAddress,
                    rejection.requestID,
                ])
            }
            let tally = try db.cachedStatement(
                sql: """
                    INSERT INTO rejection_tally (source, code, count) VALUES (?, ?, ?)
                    ON CONFLICT (source, code) DO UPDATE SET count = count + excluded.count
                    """)
            for count in counted { try tally.execute(arguments: [count.source, count.code, count.count]) }
            try db.execute(sql: "DELETE FROM rejection WHERE at < ?", arguments: [keepAfter])
            try db.execute(sql: "DELETE FROM rejection WHERE id <= (SELECT MAX(id) FROM rejection) - ?", arguments: [max(0, maxRows)])
        }
    }

    func rejections(source: String?, code: String?, since: Date?, limit: Int) async throws -> [Rejection] {
        try await writer.read { db in
            var clauses = ["1"]
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let source { clauses.append("source = ?"); arguments.append(source) }
            if let code { clauses.append("code = ?"); arguments.append(code) }
            if let since { clauses.append("at >= ?"); arguments.append(since) }
            return try Row.fetchAll(
                db, sql: "SELECT * FROM rejection WHERE \(clauses.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?",
                arguments: StatementArguments(arguments + [limit])
            ).map { row in
                Rejection(
                    at: row["at"], source: row["source"], code: row["code"], reason: row["reason"], status: row["status"], size: row["size"],
                    remoteAddress: row["remote_address"], requestID: row["request_id"])
            }
        }
    }

    func rejectionCounts() async throws -> [RejectionCount] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM rejection_tally ORDER BY source, code").map {
                RejectionCount(source: $0["source"], code: $0["code"], count: $0["count"])
            }
        }
    }
}

extension DeliveryQuery {
    /// The SQL condition and its arguments.
    fileprivate var condition: (String, [(any DatabaseValueConvertible)?]) {
        var clauses: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let source { clauses.append("source = ?"); arguments.append(source) }
        if !statuses.isEmpty {
            clauses.append("status IN (\(Array(repeating: "?", count: statuses.count).joined(separator: ", ")))")
            arguments += statuses.map(\.rawValue)
        }
        if duplicatesOnly { clauses.append("duplicate_count > 0") }
        if let eventType { clauses.append("event_type = ?"); arguments.append(eventType) }
        if let vendorDeliveryID { clauses.append("vendor_delivery_id = ?"); arguments.append(vendorDeliveryID) }
        if let customerKey {
            clauses.append("id IN (SELECT delivery_id FROM business_event WHERE customer_key = ?)")
            arguments.append(customerKey)
        }
        if let receivedFrom { clauses.append("received_at >= ?"); arguments.append(receivedFrom) }
        if let receivedBefore { clauses.append("received_at < ?"); arguments.append(receivedBefore) }
        if let beforeID { clauses.append("id < ?"); arguments.append(beforeID) }
        return (clauses.isEmpty ? "1" : clauses.joined(separator: " AND "), arguments)
    }
}
