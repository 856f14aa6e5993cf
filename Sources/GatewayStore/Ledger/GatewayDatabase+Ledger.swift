public import Foundation
public import GatewayCore
import GRDB

extension GatewayDatabase {
    /// The keys a stored event is found by: its customer's match keys, and its agreement (so a
    /// deletion that names no customer still meets the agreement it cancels).
    static func lookupKeys(of event: BusinessEvent) -> [String] {
        var keys = event.customer.map { ReferralMatchKey.candidates(for: $0).map(\.storageKey) } ?? []
        switch event {
        case .agreementCreated(let agreement): keys.append("agreement:\(agreement.customer.source):\(agreement.agreementID)")
        case .agreementCancelled(let cancelled): keys.append("agreement:\(cancelled.source):\(cancelled.agreementID)")
        default: break
        }
        return keys
    }

    /// Stores a mapped event with the keys it is looked up by.
    static func recordEvent(
        _ event: BusinessEvent, delivery: DeliveryID, position: Int, adapterVersion: Int, explanation: String, _ db: Database
    ) throws {
        let customerKey = event.customer.map { ReferralMatchKey.vendor(source: $0.source, id: $0.id).storageKey }
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
                customerKey, event.occurredAt,
            ])
        try db.cachedStatement(sql: "DELETE FROM business_event_key WHERE delivery_id = ? AND position = ?")
            .execute(arguments: [delivery.rawValue, position])
        for key in Set(lookupKeys(of: event)) {
            try db.cachedStatement(sql: "INSERT INTO business_event_key (key, delivery_id, position) VALUES (?, ?, ?)")
                .execute(arguments: [key, delivery.rawValue, position])
        }
    }

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

    /// Recomputes the ledger from the program and the stored events, and brings the stored
    /// contracts, accrual lines and conflicts in line with it; paid lines are never edited.
    ///
    /// - Returns: the projection, whose explanations say what happened to each business event.
    @discardableResult
    static func reproject(at now: Date, _ db: Database) throws -> LedgerProjection {
        let projection = LedgerProjector().project(try relevantEvents(db), program: try programSnapshot(db))

        // Contracts, one per referral.
        let projectedReferrals = Set(projection.contracts.map(\.referralID.rawValue))
        for stale in try Int64.fetchAll(db, sql: "SELECT referral_id FROM contract") where !projectedReferrals.contains(stale) {
            try db.execute(sql: "DELETE FROM contract WHERE referral_id = ?", arguments: [stale])
        }
        for contract in projection.contracts {
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

        // Accrual lines.
        let existing = try Row.fetchAll(db, sql: "SELECT * FROM accrual").map(Accrual.init(row:))
        for change in AccrualReconciler.changes(projected: projection.lines, existing: existing) {
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
        for conflict in projection.conflicts {
            try db.execute(
                sql: "INSERT INTO attribution_conflict (customer_key, referral_id, winner, reason) VALUES (?, ?, ?, ?)",
                arguments: [conflict.customerKey, conflict.referralID.rawValue, conflict.winner?.rawValue, conflict.reason])
        }
        let explain = try db.cachedStatement(sql: "UPDATE business_event SET explanation = ? WHERE business_key = ? AND explanation IS NOT ?")
        for (businessKey, explanation) in projection.explanations {
            try explain.execute(arguments: [explanation, businessKey, explanation])
        }
        return projection
    }

    private static func lineValues(_ line: AccrualLine) -> [(any DatabaseValueConvertible)?] {
        [
            line.key, line.partnerID.rawValue, line.referralID.rawValue, line.beneficiary.rawValue, line.sourceDelivery?.rawValue,
            line.businessKey, line.rule, line.planID.rawValue, line.planVersion, line.basis?.minorUnits, line.rate?.value,
            line.amount.minorUnits, line.amount.currency.code, line.earnedAt, line.holdUntil, line.note, line.needsApproval, line.adjusts,
        ]
    }

    /// Rebuilds the whole ledger from the stored events (after a program change, or on demand).
    public func rebuildLedger(at now: Date) async throws {
        try await pool.write { db in _ = try Self.reproject(at: now, db) }
    }

    // MARK: Reads

    /// Accrual rows with the id of their referral's contract.
    static let accrualSelect = "SELECT accrual.*, contract.id AS contract_id FROM accrual LEFT JOIN contract ON contract.referral_id = accrual.referral_id"

    /// A partner's accruals, oldest first.
    public func accruals(partner: PartnerID) async throws -> [Accrual] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "\(Self.accrualSelect) WHERE accrual.partner_id = ? ORDER BY earned_at, accrual.id", arguments: [partner.rawValue])
                .map(Accrual.init(row:))
        }
    }

    /// Every accrual, oldest first.
    public func allAccruals() async throws -> [Accrual] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "\(Self.accrualSelect) ORDER BY earned_at, accrual.id").map(Accrual.init(row:))
        }
    }

    /// The accruals a delivery's events produced.
    public func accruals(fromDelivery delivery: DeliveryID) async throws -> [Accrual] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "\(Self.accrualSelect) WHERE accrual.delivery_id = ? ORDER BY accrual.id", arguments: [delivery.rawValue])
                .map(Accrual.init(row:))
        }
    }

    /// How many accrual lines the ledger holds.
    public func accrualCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accrual") ?? 0 }
    }

    /// Every contract, oldest first.
    public func contracts() async throws -> [Contract] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM contract ORDER BY id").map(Contract.init(row:)) }
    }

    /// Claims that lost to another or were blocked, as of the last recomputation.
    public func conflicts() async throws -> [AttributionConflict] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM attribution_conflict ORDER BY customer_key, referral_id").map { row in
                AttributionConflict(
                    customerKey: row["customer_key"], referralID: ReferralID(row["referral_id"]),
                    winner: (row["winner"] as Int64?).map(ReferralID.init), reason: row["reason"])
            }
        }
    }
}

extension Contract {
    init(row: Row) throws {
        self.init(
            id: ContractID(row["id"]),
            referralID: ReferralID(row["referral_id"]),
            partnerID: PartnerID(row["partner_id"]),
            planID: PlanID(row["plan_id"]),
            customer: try StoreCoding.value(CustomerReference.self, from: row["customer"]),
            startedAt: row["started_at"],
            createdByDelivery: DeliveryID(row["created_by_delivery"]),
            endedAt: row["ended_at"],
            monthlyValue: try (row["monthly_value"] as String?).map { try StoreCoding.value(Money.self, from: $0) })
    }
}

extension Accrual {
    init(row: Row) throws {
        guard let currency = CurrencyCode(row["currency"]), let state = Accrual.State(rawValue: row["state"]),
            let beneficiary = AccrualLine.Beneficiary(rawValue: row["beneficiary"])
        else {
            throw DatabaseError(message: "accrual \(row["id"] as Int64? ?? 0) has an unreadable currency, state or beneficiary")
        }
        self.init(
            id: AccrualID(row["id"]),
            contractID: (row["contract_id"] as Int64?).map(ContractID.init),
            line: AccrualLine(
                key: row["accrual_key"],
                partnerID: PartnerID(row["partner_id"]),
                beneficiary: beneficiary,
                referralID: ReferralID(row["referral_id"]),
                sourceDelivery: (row["delivery_id"] as Int64?).map(DeliveryID.init),
                businessKey: row["business_key"],
                rule: row["rule"],
                planID: PlanID(row["plan_id"]),
                planVersion: row["plan_version"],
                basis: (row["basis_minor"] as Int64?).map { Money(minorUnits: $0, currency: currency) },
                rate: (row["rate_bps"] as Int64?).map(BasisPoints.init),
                amount: Money(minorUnits: row["amount_minor"], currency: currency),
                earnedAt: row["earned_at"],
                holdUntil: row["hold_until"],
                note: row["note"],
                needsApproval: row["needs_approval"],
                adjusts: row["adjusts"]),
            state: state,
            approvedAt: row["approved_at"],
            payoutID: row["payout_id"])
    }
}
