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
            arguments: [now, action, subject, try ColumnJSON.text(detail)])
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
                delivery.rawValue, position, event.kind.rawValue, event.businessKey, adapterVersion, try ColumnJSON.text(event), explanation,
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

    /// The program as the projection reads it; `referrals` narrows the referrals (and the
    /// overrides that name them) to a part of the ledger.
    static func programSnapshot(referrals filter: String = "", _ db: Database) throws -> ProgramSnapshot {
        let partners = try Row.fetchAll(db, sql: "SELECT * FROM partner").map(Partner.init(row:))
        let referrals = try Row.fetchAll(db, sql: "SELECT * FROM referral \(filter)").map(Referral.init(row:))
        let versions = try Row.fetchAll(db, sql: "SELECT * FROM plan_version ORDER BY plan_id, version").map(PlanVersion.init(row:))
        let kept = Set(referrals.map(\.id))
        let overrides = try Row.fetchAll(db, sql: "SELECT * FROM attribution_override ORDER BY id").map { row in
            AttributionOverride(customerKey: row["customer_key"], referralID: ReferralID(row["referral_id"]), reason: row["reason"])
        }.filter { filter.isEmpty || kept.contains($0.referralID) }
        return ProgramSnapshot(
            partners: partners, referrals: referrals, plans: Dictionary(grouping: versions, by: \.planID), overrides: overrides,
            settings: try settings(db))
    }

    static func settings(_ db: Database) throws -> ProgramSettings {
        guard let text = try String.fetchOne(db, sql: "SELECT settings FROM program_settings WHERE id = 1") else { return ProgramSettings() }
        return try ColumnJSON.value(ProgramSettings.self, from: text)
    }

    /// Every stored event that can concern the program: those whose customer or agreement matches
    /// a referral or an override, and every other event of those customers and agreements.
    ///
    /// Which customer each referral or override can claim is kept on the way (`customer_claim`,
    /// and its customers in `matched_customer`), so processing can tell in one lookup whether a
    /// later event (a refund naming only the customer id) concerns the program, and which part of
    /// the ledger it can change.
    static func relevantEvents(_ db: Database) throws -> [RecordedEvent] {
        try db.execute(sql: """
            DELETE FROM customer_claim;
            INSERT INTO customer_claim (customer_key, referral_id)
                SELECT DISTINCT e.customer_key, rk.referral_id FROM referral_key rk
                JOIN business_event_key k ON k.key = rk.key
                JOIN business_event e ON e.delivery_id = k.delivery_id AND e.position = k.position
                WHERE e.customer_key IS NOT NULL
                UNION SELECT customer_key, referral_id FROM attribution_override;
            DELETE FROM matched_customer;
            INSERT INTO matched_customer (customer_key) SELECT DISTINCT customer_key FROM customer_claim;
            """)
        return try events(of: "matched_customer", db)
    }

    /// The keys of the agreements of the customers listed in `table` (a query), so a cancellation
    /// that names only its agreement is read with its customer's events.
    static func agreementKeys(of table: String) -> String {
        """
        SELECT DISTINCT k.key FROM business_event e
        JOIN business_event_key k ON k.delivery_id = e.delivery_id AND k.position = e.position
        WHERE e.customer_key IN (SELECT customer_key FROM \(table)) AND k.key LIKE 'agreement:%'
        """
    }

    /// Every processed event of the customers listed in `table`, and every event of their agreements.
    static func events(of table: String, _ db: Database) throws -> [RecordedEvent] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                WITH agreements AS (\(agreementKeys(of: table))),
                relevant AS (
                    SELECT delivery_id, position FROM business_event WHERE customer_key IN (SELECT customer_key FROM \(table))
                    UNION
                    SELECT delivery_id, position FROM business_event_key WHERE key IN (SELECT key FROM agreements)
                )
                SELECT e.delivery_id, e.payload FROM relevant r
                JOIN business_event e ON e.delivery_id = r.delivery_id AND e.position = r.position
                JOIN delivery d ON d.id = e.delivery_id AND d.status = 'processed'
                """)
        return try rows.map { RecordedEvent(try DecodedEvents.shared.event($0["payload"]), delivery: DeliveryID($0["delivery_id"])) }
    }

    // MARK: The part of the ledger a batch can change

    /// Finds the part of the ledger a batch of events can change: the matched customers among
    /// theirs (and those of the agreements they name), the referrals those customers match or
    /// are overridden to, and, for a partner whose plan ties its referrals together
    /// (`LedgerRules.tiesPartnerReferrals`), all of that partner's referrals and their customers,
    /// until nothing more is tied in. Leaves the customers in `scope_customer` and the referrals in
    /// `scope_referral` (temporary tables), and records the customers the batch newly matched.
    ///
    /// - Returns: the customers the batch gave a claim they did not have.
    @discardableResult
    static func partition(_ events: [BusinessEvent], rules: any LedgerRules, _ db: Database) throws -> Set<String> {
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS scope_customer (customer_key TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TEMP TABLE IF NOT EXISTS scope_referral (referral_id INTEGER PRIMARY KEY);
            DELETE FROM scope_customer;
            DELETE FROM scope_referral;
            """)
        let keys = Array(Set(events.flatMap(\.lookupKeys)))
        // A customer is claimed through an event's key; the program did not change (that
        // recomputes everything), so only these events can add claims.
        var offered: [String: [Int64]] = [:]
        for chunk in keys.chunked(400) {
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT key, referral_id FROM referral_key WHERE key IN (\(marks))
                    UNION SELECT customer_key, referral_id FROM attribution_override WHERE customer_key IN (\(marks))
                    """,
                arguments: StatementArguments(chunk + chunk))
            {
                offered[row["key"], default: []].append(row["referral_id"])
            }
        }
        let claim = try db.cachedStatement(sql: "INSERT OR IGNORE INTO customer_claim (customer_key, referral_id) VALUES (?, ?)")
        let match = try db.cachedStatement(sql: "INSERT OR IGNORE INTO matched_customer (customer_key) VALUES (?)")
        let scope = try db.cachedStatement(sql: "INSERT OR IGNORE INTO scope_customer (customer_key) SELECT customer_key FROM matched_customer WHERE customer_key = ?")
        var newlyClaimed: Set<String> = []
        for event in events {
            guard let customer = event.customerKey else { continue }
            for referral in Set(event.lookupKeys.flatMap { offered[$0] ?? [] }) {
                try claim.execute(arguments: [customer, referral])
                if db.changesCount > 0 { newlyClaimed.insert(customer) }
                try match.execute(arguments: [customer])
            }
            try scope.execute(arguments: [customer])
        }
        // A cancellation may name only its agreement: the agreement's customer is in scope too.
        for chunk in keys.filter({ $0.hasPrefix("agreement:") }).chunked(400) {
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO scope_customer (customer_key)
                    SELECT DISTINCT e.customer_key FROM business_event_key k
                    JOIN business_event e ON e.delivery_id = k.delivery_id AND e.position = k.position
                    WHERE k.key IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ", ")))
                        AND e.customer_key IN (SELECT customer_key FROM matched_customer)
                    """,
                arguments: StatementArguments(chunk))
        }
        let tyingPlans = try Row.fetchAll(db, sql: "SELECT * FROM plan_version").map(PlanVersion.init(row:)).filter(rules.tiesPartnerReferrals).map(\.planID.rawValue)
        var sizes = (-1, -1)
        while true {
            let now = (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM scope_customer") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM scope_referral") ?? 0
            )
            guard now != sizes else { return newlyClaimed }
            sizes = now
            // The referrals the customers match, through any key of any of their events, or are overridden to.
            try db.execute(sql: """
                INSERT OR IGNORE INTO scope_referral (referral_id)
                    SELECT DISTINCT referral_id FROM customer_claim WHERE customer_key IN (SELECT customer_key FROM scope_customer)
                """)
            // A partner whose plan ties its referrals together brings all of them.
            if !tyingPlans.isEmpty {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO scope_referral (referral_id)
                            SELECT r.id FROM referral r WHERE r.partner_id IN (
                                SELECT s.partner_id FROM referral s WHERE s.id IN (SELECT referral_id FROM scope_referral)
                                    AND s.partner_id IN (SELECT partner_id FROM referral WHERE plan_id IN (\(tyingPlans.map(String.init).joined(separator: ", ")))))
                        """)
            }
            // The customers those referrals match: through their keys, or an override.
            try db.execute(sql: """
                INSERT OR IGNORE INTO scope_customer (customer_key)
                    SELECT DISTINCT customer_key FROM customer_claim WHERE referral_id IN (SELECT referral_id FROM scope_referral)
                """)
        }
    }

    // MARK: Writing a recomputation

    /// Asks `rules` for the ledger the program and the stored events call for, and writes it:
    /// contracts, accrual changes, conflicts, and each business event's explanation. What changed
    /// for receivers (a referral's first contract, new, reduced and voided lines) goes to the
    /// outbox through `outbound`, in this transaction.
    ///
    /// - Parameter batch: the events of a batch just settled, to recompute only the part of the
    ///   ledger they can change (`partition`); `nil` recomputes everything.
    /// - Returns: the explanations by business key.
    @discardableResult
    static func recompute(
        _ rules: any LedgerRules, outbound: any OutboundEventRules, batch: [BusinessEvent]? = nil, at now: Date, _ db: Database
    ) throws -> [String: String] {
        let events: [RecordedEvent]
        let program: ProgramSnapshot
        let existing: [Accrual]
        // Which stored contracts and conflicts the recomputation answers for.
        let referralScope: String
        let conflictScope: String
        if let batch {
            let newlyClaimed = try partition(batch, rules: rules, db)
            try LedgerAppend.choose(batch, newlyClaimed: newlyClaimed, rules: rules, db)
            events = try self.events(of: "scope_full", db) + LedgerAppend.events(db)
            program = try programSnapshot(referrals: "WHERE id IN (SELECT referral_id FROM scope_referral)", db)
            existing = try Row.fetchAll(db, sql: """
                SELECT * FROM accrual WHERE referral_id IN (SELECT referral_id FROM scope_referral)
                    AND (referral_id NOT IN (SELECT referral_id FROM append_referral)
                        OR business_key IN (SELECT business_key FROM append_key) OR business_key LIKE 'referral:%')
                """)
                .map(Accrual.init(row:))
            referralScope = "WHERE referral_id IN (SELECT referral_id FROM scope_referral)"
            conflictScope = "WHERE customer_key IN (SELECT customer_key FROM scope_customer)"
        } else {
            events = try relevantEvents(db)
            program = try programSnapshot(db)
            existing = try Row.fetchAll(db, sql: "SELECT * FROM accrual").map(Accrual.init(row:))
            referralScope = ""
            conflictScope = ""
        }
        let plan = rules.recompute(events: events, program: program, existing: existing)

        let projectedReferrals = Set(plan.contracts.map(\.referralID.rawValue))
        let contracted = try Int64.fetchAll(db, sql: "SELECT referral_id FROM contract \(referralScope)")
        for stale in contracted where !projectedReferrals.contains(stale) {
            try db.execute(sql: "DELETE FROM contract WHERE referral_id = ?", arguments: [stale])
        }
        var changes: [OutboundChange] = []
        let signedBefore = Set(contracted)
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
                    contract.referralID.rawValue, contract.partnerID.rawValue, contract.planID.rawValue, try ColumnJSON.text(contract.customer),
                    contract.startedAt, contract.startedBy.rawValue, contract.endedAt, try contract.monthlyValue.map(ColumnJSON.text),
                ])
            if !signedBefore.contains(contract.referralID.rawValue),
                let referral = try Row.fetchOne(db, sql: "SELECT * FROM referral WHERE id = ?", arguments: [contract.referralID.rawValue]),
                let stored = try Row.fetchOne(db, sql: "SELECT * FROM contract WHERE referral_id = ?", arguments: [contract.referralID.rawValue])
            {
                changes.append(.referralSigned(try Referral(row: referral), try Contract(row: stored)))
            }
        }

        let before = Dictionary(existing.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
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
                if let created = try accrual(AccrualID(db.lastInsertedRowID), db) { changes.append(.accrualCreated(created)) }
            case .update(let id, let line):
                try db.execute(
                    sql: """
                        UPDATE accrual SET accrual_key = ?, partner_id = ?, referral_id = ?, beneficiary = ?, delivery_id = ?,
                            business_key = ?, rule = ?, plan_id = ?, plan_version = ?, basis_minor = ?, rate_bps = ?, amount_minor = ?,
                            currency = ?, earned_at = ?, hold_until = ?, note = ?, needs_approval = ?, adjusts = ?, state = 'open', updated_at = ?
                        WHERE id = ? AND state != 'paid'
                        """,
                    arguments: StatementArguments(lineValues(line) + [now, id.rawValue]))
                if db.changesCount == 1, let previous = before[id], let after = try accrual(id, db) {
                    changes.append(.accrualChanged(before: previous, after: after))
                }
            case .void(let id, let reason):
                try db.execute(
                    sql: "UPDATE accrual SET state = 'voided', note = ?, payout_id = NULL, updated_at = ? WHERE id = ? AND state = 'open'",
                    arguments: [reason, now, id.rawValue])
                if db.changesCount == 1, let voided = try accrual(id, db) { changes.append(.accrualVoided(voided, reason: reason)) }
            }
        }
        try OutboxSQL.announce(changes, outbound, at: now, db)

        try db.execute(sql: "DELETE FROM attribution_conflict \(conflictScope)")
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

    /// One line, with its contract's id.
    static func accrual(_ id: AccrualID, _ db: Database) throws -> Accrual? {
        try Row.fetchOne(db.cachedStatement(sql: "\(accrualSelect) WHERE accrual.id = ?"), arguments: [id.rawValue]).map(Accrual.init(row:))
    }

    // MARK: Payouts

    static func payout(_ id: Int64, _ db: Database) throws -> Payout? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM payout WHERE id = ?", arguments: [id]) else { return nil }
        let lines = try Row.fetchAll(db, sql: "\(accrualSelect) WHERE accrual.payout_id = ? ORDER BY accrual.id", arguments: [id])
            .map(Accrual.init(row:))
        return Payout(id: id, createdAt: row["created_at"], paidAt: row["paid_at"], note: row["note"], lines: lines)
    }
}

extension Array {
    /// The array in consecutive pieces of at most `size` elements (SQLite caps a statement's arguments).
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
