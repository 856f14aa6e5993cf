import Foundation
import GRDB
import GatewayCore
import GatewayRepositories

/// The SQL the repositories share inside their transactions: reading the program and the events
/// the ledger is computed from, writing what the engine's `LedgerRules` decided, the audit trail.
enum LedgerSQL {
    /// Accrual rows with the id of their referral's contract.
    static let accrualSelect = "SELECT accrual.*, contract.id AS contract_id FROM accrual LEFT JOIN contract ON contract.referral_id = accrual.referral_id"

    static func audit(_ action: String, subject: String, detail: [String: String], at now: Date, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO audit_log (at, action, subject, detail) VALUES (?, ?, ?, ?)",
            arguments: [now, action, subject, try StoreCoding.text(detail)])
    }

    // MARK: Events

    /// Stores a mapped event with the keys it is looked up by.
    static func recordEvent(
        _ event: BusinessEvent, delivery: DeliveryID, position: Int, adapterVersion: Int, explanation: String, _ db: Database
    ) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO business_event (delivery_id, position, kind, business_key, adapter_version, payload, explanation, customer_key, occurred_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (delivery_id, position) DO UPDATE SET
                    kind = excluded.kind, business_key = excluded.business_key, adapter_version = excluded.adapter_version,
                    payload = excluded.payload, explanation = excluded.explanation, customer_key = excluded.customer_key,
                    occurred_at = excluded.occurred_at
                """
        ).execute(
            arguments: [
                delivery.rawValue, position, event.kind.rawValue, event.businessKey, adapterVersion, try StoreCoding.text(event), explanation,
                event.customerKey, event.occurredAt,
            ])
        try indexEvent(event, delivery: delivery, position: position, db)
    }

    /// Writes an event's lookup keys (replacing any it had).
    static func indexEvent(_ event: BusinessEvent, delivery: DeliveryID, position: Int, _ db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM business_event_key WHERE delivery_id = ? AND position = ?")
            .execute(arguments: [delivery.rawValue, position])
        for key in Set(event.lookupKeys) {
            try db.cachedStatement(sql: "INSERT INTO business_event_key (key, delivery_id, position) VALUES (?, ?, ?)")
                .execute(arguments: [key, delivery.rawValue, position])
        }
    }

    // MARK: What the ledger is computed from

    /// The program as the projection reads it.
    static func programSnapshot(_ db: Database) throws -> ProgramSnapshot {
        let partners = try Row.fetchAll(db, sql: "SELECT * FROM partner").map(Partner.init(row:))
        let referrals = try Row.fetchAll(db, sql: "SELECT * FROM referral").map(Referral.init(row:))
        let versions = try Row.fetchAll(db, sql: "SELECT * FROM plan_version ORDER BY plan_id, version").map(PlanVersion.init(row:))
        let overrides = try Row.fetchAll(db, sql: "SELECT * FROM attribution_override ORDER BY id").map { row in
            AttributionOverride(customerKey: row["customer_key"], referralID: ReferralID(row["referral_id"]), reason: row["reason"])
        }
        return ProgramSnapshot(
            partners: partners, referrals: referrals, plans: Dictionary(grouping: versions, by: \.planID), overrides: overrides,
            settings: try settings(db))
    }

    static func settings(_ db: Database) throws -> ProgramSettings {
        guard let text = try String.fetchOne(db, sql: "SELECT settings FROM program_settings WHERE id = 1") else { return ProgramSettings() }
        return try StoreCoding.value(ProgramSettings.self, from: text)
    }

    /// Every stored event that can concern the program: those whose customer or agreement matches
    /// a referral or an override, and every other event of those customers and agreements.
    ///
    /// The matched customers are kept in `matched_customer` on the way, so processing can tell in
    /// one lookup whether a later event (a refund naming only the customer id) concerns the program.
    static func relevantEvents(_ db: Database) throws -> [RecordedEvent] {
        try db.execute(sql: """
            DELETE FROM matched_customer;
            INSERT INTO matched_customer (customer_key)
                SELECT DISTINCT e.customer_key FROM business_event_key k
                JOIN business_event e ON e.delivery_id = k.delivery_id AND e.position = k.position
                WHERE k.key IN (SELECT key FROM referral_key UNION SELECT customer_key FROM attribution_override)
                    AND e.customer_key IS NOT NULL;
            """)
        let rows = try Row.fetchAll(
            db,
            sql: """
                WITH agreements AS (
                    SELECT DISTINCT k.key FROM business_event e
                    JOIN business_event_key k ON k.delivery_id = e.delivery_id AND k.position = e.position
                    WHERE e.customer_key IN (SELECT customer_key FROM matched_customer) AND k.key LIKE 'agreement:%'
                ),
                relevant AS (
                    SELECT delivery_id, position FROM business_event WHERE customer_key IN (SELECT customer_key FROM matched_customer)
                    UNION
                    SELECT delivery_id, position FROM business_event_key WHERE key IN (SELECT key FROM agreements)
                )
                SELECT e.delivery_id, e.payload FROM relevant r
                JOIN business_event e ON e.delivery_id = r.delivery_id AND e.position = r.position
                JOIN delivery d ON d.id = e.delivery_id AND d.status = 'processed'
                """)
        return try rows.map { RecordedEvent(try DecodedEvents.shared.event($0["payload"]), delivery: DeliveryID($0["delivery_id"])) }
    }

    // MARK: Writing a recomputation

    /// Asks `rules` for the ledger the program and the stored events call for, and writes it:
    /// contracts, accrual changes, conflicts, and each business event's explanation.
    ///
    /// - Returns: the explanations by business key.
    @discardableResult
    static func recompute(_ rules: any LedgerRules, at now: Date, _ db: Database) throws -> [String: String] {
        let existing = try Row.fetchAll(db, sql: "SELECT * FROM accrual").map(Accrual.init(row:))
        let plan = rules.recompute(events: try relevantEvents(db), program: try programSnapshot(db), existing: existing)

        let projectedReferrals = Set(plan.contracts.map(\.referralID.rawValue))
        for stale in try Int64.fetchAll(db, sql: "SELECT referral_id FROM contract") where !projectedReferrals.contains(stale) {
            try db.execute(sql: "DELETE FROM contract WHERE referral_id = ?", arguments: [stale])
        }
        for contract in plan.contracts {
            try db.execute(
                sql: """
                    INSERT INTO contract (referral_id, partner_id, plan_id, customer, started_at, created_by_delivery, ended_at, monthly_value)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (referral_id) DO UPDATE SET partner_id = excluded.partner_id, plan_id = excluded.plan_id,
                        customer = excluded.customer, started_at = excluded.started_at, created_by_delivery = excluded.created_by_delivery,
                        ended_at = excluded.ended_at, monthly_value = excluded.monthly_value
                    """,
                arguments: [
                    contract.referralID.rawValue, contract.partnerID.rawValue, contract.planID.rawValue, try StoreCoding.text(contract.customer),
                    contract.startedAt, contract.startedBy.rawValue, contract.endedAt, try contract.monthlyValue.map(StoreCoding.text),
                ])
        }

        for change in plan.changes {
            switch change {
            case .create(let line):
                try db.execute(
                    sql: """
                        INSERT INTO accrual (accrual_key, partner_id, referral_id, beneficiary, delivery_id, business_key, rule, plan_id,
                            plan_version, basis_minor, rate_bps, amount_minor, currency, earned_at, hold_until, note, needs_approval, adjusts,
                            state, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)
                        """,
                    arguments: StatementArguments(lineValues(line) + [now]))
            case .update(let id, let line):
                try db.execute(
                    sql: """
                        UPDATE accrual SET accrual_key = ?, partner_id = ?, referral_id = ?, beneficiary = ?, delivery_id = ?,
                            business_key = ?, rule = ?, plan_id = ?, plan_version = ?, basis_minor = ?, rate_bps = ?, amount_minor = ?,
                            currency = ?, earned_at = ?, hold_until = ?, note = ?, needs_approval = ?, adjusts = ?, state = 'open', updated_at = ?
                        WHERE id = ? AND state != 'paid'
                        """,
                    arguments: StatementArguments(lineValues(line) + [now, id.rawValue]))
            case .void(let id, let reason):
                try db.execute(
                    sql: "UPDATE accrual SET state = 'voided', note = ?, payout_id = NULL, updated_at = ? WHERE id = ? AND state = 'open'",
                    arguments: [reason, now, id.rawValue])
            }
        }

        try db.execute(sql: "DELETE FROM attribution_conflict")
        for conflict in plan.conflicts {
            try db.execute(
                sql: "INSERT INTO attribution_conflict (customer_key, referral_id, winner, reason) VALUES (?, ?, ?, ?)",
                arguments: [conflict.customerKey, conflict.referralID.rawValue, conflict.winner?.rawValue, conflict.reason])
        }
        let explain = try db.cachedStatement(sql: "UPDATE business_event SET explanation = ? WHERE business_key = ? AND explanation IS NOT ?")
        for (businessKey, explanation) in plan.explanations {
            try explain.execute(arguments: [explanation, businessKey, explanation])
        }
        return plan.explanations
    }

    private static func lineValues(_ line: AccrualLine) -> [(any DatabaseValueConvertible)?] {
        [
            line.key, line.partnerID.rawValue, line.referralID.rawValue, line.beneficiary.rawValue, line.sourceDelivery?.rawValue,
            line.businessKey, line.rule, line.planID.rawValue, line.planVersion, line.basis?.minorUnits, line.rate?.value,
            line.amount.minorUnits, line.amount.currency.code, line.earnedAt, line.holdUntil, line.note, line.needsApproval, line.adjusts,
        ]
    }

    // MARK: Payouts

    static func payout(_ id: Int64, _ db: Database) throws -> Payout? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM payout WHERE id = ?", arguments: [id]) else { return nil }
        let lines = try Row.fetchAll(db, sql: "\(accrualSelect) WHERE accrual.payout_id = ? ORDER BY accrual.id", arguments: [id])
            .map(Accrual.init(row:))
        return Payout(id: id, createdAt: row["created_at"], paidAt: row["paid_at"], note: row["note"], lines: lines)
    }
}
