import Foundation
import GRDB
import GatewayCore
import GatewayRepositories

/// The ledger's tables in the SQLite file.
struct SQLiteLedgerRepository: LedgerRepository {
    let writer: any DatabaseWriter
    let outbound: any OutboundEventRules

    func recompute(rules: any LedgerRules, at now: Date) async throws {
        try await writer.write { db in _ = try LedgerSQL.recompute(rules, outbound: outbound, at: now, db) }
    }

    func derivedDataVersion() async throws -> Int? {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT engine_version FROM derived_data WHERE id = 1") }
    }

    @discardableResult
    func rebuildDerivedData(version: Int, rules: any LedgerRules, at now: Date) async throws -> Bool {
        try await writer.write { db in
            if let stored = try Int.fetchOne(db, sql: "SELECT engine_version FROM derived_data WHERE id = 1"), stored >= version { return false }
            let rows = try Row.fetchAll(db, sql: "SELECT delivery_id, position, payload FROM business_event")
            try db.execute(sql: "DELETE FROM business_event_key")
            for row in rows {
                let event = try ColumnJSON.value(BusinessEvent.self, from: row["payload"])
                try db.execute(
                    sql: "UPDATE business_event SET customer_key = ?, occurred_at = ? WHERE delivery_id = ? AND position = ?",
                    arguments: [event.customerKey, event.occurredAt, row["delivery_id"], row["position"]])
                try LedgerSQL.indexEvent(event, delivery: DeliveryID(row["delivery_id"]), position: row["position"], db)
            }
            try LedgerSQL.recompute(rules, outbound: outbound, at: now, db)
            try db.execute(
                sql: """
                    INSERT INTO derived_data (id, engine_version, computed_at) VALUES (1, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET engine_version = excluded.engine_version, computed_at = excluded.computed_at
                    """,
                arguments: [version, now])
            return true
        }
    }

    func accrual(_ id: AccrualID) async throws -> Accrual? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "\(LedgerSQL.accrualSelect) WHERE accrual.id = ?", arguments: [id.rawValue]).map(Accrual.init(row:))
        }
    }

    func accruals(partner: PartnerID) async throws -> [Accrual] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "\(LedgerSQL.accrualSelect) WHERE accrual.partner_id = ? ORDER BY earned_at, accrual.id", arguments: [partner.rawValue]
            ).map(Accrual.init(row:))
        }
    }

    func allAccruals() async throws -> [Accrual] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "\(LedgerSQL.accrualSelect) ORDER BY earned_at, accrual.id").map(Accrual.init(row:))
        }
    }

    func accruals(fromDelivery delivery: DeliveryID) async throws -> [Accrual] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "\(LedgerSQL.accrualSelect) WHERE accrual.delivery_id = ? ORDER BY accrual.id", arguments: [delivery.rawValue])
                .map(Accrual.init(row:))
        }
    }

    func accrualCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accrual") ?? 0 }
    }

    func contracts() async throws -> [Contract] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM contract ORDER BY id").map(Contract.init(row:)) }
    }

    func conflicts() async throws -> [AttributionConflict] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM attribution_conflict ORDER BY customer_key, referral_id").map { row in
                AttributionConflict(
                    customerKey: row["customer_key"], referralID: ReferralID(row["referral_id"]),
                    winner: (row["winner"] as Int64?).map(ReferralID.init), reason: row["reason"])
            }
        }
    }

    // MARK: Approvals and payouts

    func markApproved(_ id: AccrualID, at now: Date) async throws -> Accrual {
        try await writer.write { db in
            try db.execute(sql: "UPDATE accrual SET approved_at = ? WHERE id = ? AND state = 'open'", arguments: [now, id.rawValue])
            guard db.changesCount == 1,
                let accrual = try Row.fetchOne(db, sql: "\(LedgerSQL.accrualSelect) WHERE accrual.id = ?", arguments: [id.rawValue])
                    .map(Accrual.init(row:))
            else { throw GatewayError.refused("accrual \(id) is no longer open") }
            try LedgerSQL.audit("accrual.approved", subject: "accrual:\(id)", detail: ["amount": "\(accrual.line.amount)"], at: now, db)
            try OutboxSQL.announce([.accrualApproved(accrual)], outbound, at: now, db)
            return accrual
        }
    }

    func addPayout(note: String?, at now: Date, select: @Sendable ([Accrual]) -> [Accrual]) async throws -> Payout? {
        try await writer.write { db in
            let open = try Row.fetchAll(
                db, sql: "\(LedgerSQL.accrualSelect) WHERE accrual.state = 'open' AND accrual.payout_id IS NULL ORDER BY accrual.id"
            ).map(Accrual.init(row:))
            let lines = select(open)
            guard !lines.isEmpty else { return nil }
            try db.execute(sql: "INSERT INTO payout (created_at, note) VALUES (?, ?)", arguments: [now, note])
            let id = db.lastInsertedRowID
            let assign = try db.cachedStatement(sql: "UPDATE accrual SET payout_id = ? WHERE id = ?")
            for line in lines { try assign.execute(arguments: [id, line.id.rawValue]) }
            try LedgerSQL.audit("payout.created", subject: "payout:\(id)", detail: ["lines": "\(lines.count)"], at: now, db)
            let payout = try LedgerSQL.payout(id, db)!
            try OutboxSQL.announce([.payoutCreated(payout)], outbound, at: now, db)
            return payout
        }
    }

    func markPayoutPaid(_ id: Int64, at now: Date) async throws -> Payout {
        try await writer.write { db in
            try db.execute(sql: "UPDATE payout SET paid_at = ? WHERE id = ? AND paid_at IS NULL", arguments: [now, id])
            guard db.changesCount == 1 else { throw GatewayError.refused("payout \(id) was already marked paid") }
            try db.execute(sql: "UPDATE accrual SET state = 'paid', updated_at = ? WHERE payout_id = ?", arguments: [now, id])
            try LedgerSQL.audit("payout.paid", subject: "payout:\(id)", detail: [:], at: now, db)
            let payout = try LedgerSQL.payout(id, db)!
            try OutboxSQL.announce([.payoutPaid(payout)], outbound, at: now, db)
            return payout
        }
    }

    func payouts() async throws -> [Payout] {
        try await writer.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM payout ORDER BY id").compactMap { try LedgerSQL.payout($0, db) } }
    }

    func payout(_ id: Int64) async throws -> Payout? {
        try await writer.read { db in try LedgerSQL.payout(id, db) }
    }
}
