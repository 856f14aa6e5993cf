import Foundation
import GatewayCore
import GatewayRepositories
import Logging
import PostgresNIO

/// The SQL the PostgreSQL repositories share inside their transactions: reading the program and
/// the events the ledger is computed from, and writing what the engine's `LedgerRules` decided.
///
/// Unlike the SQLite store, which recomputes only the part of the ledger a batch can change, this
/// first version recomputes the whole ledger whenever it changes: the reference answer, slower on a
/// large program. Recomputations are serialized across instances by a transaction-level advisory
/// lock, so each reads what the one before it committed.
enum PostgresLedger {
    /// Accrual rows with the id of their referral's contract.
    static let accrualSelect = "SELECT accrual.*, contract.id AS contract_id FROM accrual LEFT JOIN contract ON contract.referral_id = accrual.referral_id"

    /// The program as the projection reads it.
    static func programSnapshot(_ connection: PostgresConnection, logger: Logger) async throws -> ProgramSnapshot {
        let partners = try await connection.execute("SELECT * FROM partner", logger: logger).map(Partner.init(postgres:))
        let referrals = try await connection.execute("SELECT * FROM referral", logger: logger).map { try Referral(postgres: $0.makeRandomAccess()) }
        let versions = try await connection.execute("SELECT * FROM plan_version ORDER BY plan_id, version", logger: logger).map(PlanVersion.init(postgres:))
        let overrides = try await connection.execute("SELECT customer_key, referral_id, reason FROM attribution_override ORDER BY id", logger: logger)
            .map { row in
                let (customer, referral, reason) = try row.decode((String, Int64, String).self)
                return AttributionOverride(customerKey: customer, referralID: ReferralID(referral), reason: reason)
            }
        return ProgramSnapshot(
            partners: partners, referrals: referrals, plans: Dictionary(grouping: versions, by: \.planID), overrides: overrides,
            settings: try await settings(connection, logger: logger))
    }

    static func settings(_ connection: PostgresConnection, logger: Logger) async throws -> ProgramSettings {
        guard let text = try await connection.execute("SELECT settings FROM program_settings WHERE id = 1", logger: logger).first?.decode(String.self)
        else { return ProgramSettings() }
        return try ColumnJSON.value(ProgramSettings.self, from: text)
    }

    /// Every stored event that can concern the program: those whose customer or agreement matches a
    /// referral or an override, and every other event of those customers and agreements. Which
    /// customer each referral or override can claim is kept on the way (`customer_claim`, and its
    /// customers in `matched_customer`), so processing can tell in one lookup whether a later event
    /// concerns the program.
    static func relevantEvents(_ connection: PostgresConnection, logger: Logger) async throws -> [RecordedEvent] {
        try await connection.execute("DELETE FROM customer_claim", logger: logger)
        try await connection.execute(
            """
            INSERT INTO customer_claim (customer_key, referral_id)
                SELECT DISTINCT e.customer_key, rk.referral_id FROM referral_key rk
                JOIN business_event_key k ON k.key = rk.key
                JOIN business_event e ON e.delivery_id = k.delivery_id AND e.position = k.position
                WHERE e.customer_key IS NOT NULL
                UNION SELECT customer_key, referral_id FROM attribution_override
            """, logger: logger)
        try await connection.execute("DELETE FROM matched_customer", logger: logger)
        try await connection.execute("INSERT INTO matched_customer (customer_key) SELECT DISTINCT customer_key FROM customer_claim", logger: logger)
        let rows = try await connection.execute(
            """
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
            ORDER BY e.delivery_id, e.position
            """, logger: logger)
        return try rows.map { row in
            let (delivery, payload) = try row.decode((Int64, String).self)
            return RecordedEvent(try ColumnJSON.value(BusinessEvent.self, from: payload), delivery: DeliveryID(delivery))
        }
    }

    /// Asks `rules` for the ledger the program and the stored events call for, and writes it:
    /// contracts, accrual changes, conflicts, and each business event's explanation. What changed
    /// for receivers (a referral's first contract, new, reduced and voided lines) goes to the outbox
    /// through `outbound`, in this transaction. Holds the recomputation lock until the caller's
    /// transaction ends.
    ///
    /// - Returns: the explanations by business key.
    @discardableResult
    static func recompute(
        _ rules: any LedgerRules, outbound: any OutboundEventRules, at now: Date, _ connection: PostgresConnection, logger: Logger
    ) async throws -> [String: String] {
        try await connection.take(.recomputation, logger: logger)
        let events = try await relevantEvents(connection, logger: logger)
        let program = try await programSnapshot(connection, logger: logger)
        let existing = try await connection.execute(PostgresQuery(unsafeSQL: accrualSelect), logger: logger).map { try Accrual(postgres: $0.makeRandomAccess()) }
        let plan = rules.recompute(events: events, program: program, existing: existing)

        let projected = plan.contracts.map(\.referralID.rawValue)
        let signedBefore = Set(try await connection.execute("SELECT referral_id FROM contract", logger: logger).map { try $0.decode(Int64.self) })
        var changes: [OutboundChange] = []
        try await connection.execute("DELETE FROM contract WHERE NOT (referral_id = ANY(\(projected)))", logger: logger)
        for contract in plan.contracts {
            try await connection.execute(
                """
                INSERT INTO contract (referral_id, partner_id, plan_id, customer, started_at, created_by_delivery, ended_at, monthly_value)
                VALUES (\(contract.referralID.rawValue), \(contract.partnerID.rawValue), \(contract.planID.rawValue),
                    \(try ColumnJSON.text(contract.customer)), \(contract.startedAt), \(contract.startedBy.rawValue), \(contract.endedAt),
                    \(try contract.monthlyValue.map(ColumnJSON.text)))
                ON CONFLICT (referral_id) DO UPDATE SET partner_id = excluded.partner_id, plan_id = excluded.plan_id,
                    customer = excluded.customer, started_at = excluded.started_at, created_by_delivery = excluded.created_by_delivery,
                    ended_at = excluded.ended_at, monthly_value = excluded.monthly_value
                """, logger: logger)
            if !signedBefore.contains(contract.referralID.rawValue),
                let referral = try await connection.execute("SELECT * FROM referral WHERE id = \(contract.referralID.rawValue)", logger: logger).first,
                let stored = try await connection.execute("SELECT * FROM contract WHERE referral_id = \(contract.referralID.rawValue)", logger: logger).first
            {
                changes.append(.referralSigned(try Referral(postgres: referral.makeRandomAccess()), try Contract(postgres: stored.makeRandomAccess())))
            }
        }
        let before = Dictionary(existing.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })

        for change in plan.changes {
            switch change {
            case .create(let line):
                let created = try await connection.execute(
                    """
                    INSERT INTO accrual (accrual_key, partner_id, referral_id, beneficiary, delivery_id, business_key, rule, plan_id,
                        plan_version, basis_minor, rate_bps, amount_minor, currency, earned_at, hold_until, note, needs_approval, adjusts,
                        state, updated_at)
                    VALUES (\(line.key), \(line.partnerID.rawValue), \(line.referralID.rawValue), \(line.beneficiary.rawValue),
                        \(line.sourceDelivery?.rawValue), \(line.businessKey), \(line.rule), \(line.planID.rawValue), \(line.planVersion),
                        \(line.basis?.minorUnits), \(line.rate?.value), \(line.amount.minorUnits), \(line.amount.currency.code), \(line.earnedAt),
                        \(line.holdUntil), \(line.note), \(line.needsApproval), \(line.adjusts), 'open', \(now))
                    RETURNING id
                    """, logger: logger)
                if let id = try created.first?.decode(Int64.self), let accrual = try await accrual(id, connection, logger: logger) {
                    changes.append(.accrualCreated(accrual))
                }
            case .update(let id, let line):
                let updated = try await connection.execute(
                    """
                    UPDATE accrual SET accrual_key = \(line.key), partner_id = \(line.partnerID.rawValue), referral_id = \(line.referralID.rawValue),
                        beneficiary = \(line.beneficiary.rawValue), delivery_id = \(line.sourceDelivery?.rawValue), business_key = \(line.businessKey),
                        rule = \(line.rule), plan_id = \(line.planID.rawValue), plan_version = \(line.planVersion), basis_minor = \(line.basis?.minorUnits),
                        rate_bps = \(line.rate?.value), amount_minor = \(line.amount.minorUnits), currency = \(line.amount.currency.code),
                        earned_at = \(line.earnedAt), hold_until = \(line.holdUntil), note = \(line.note), needs_approval = \(line.needsApproval),
                        adjusts = \(line.adjusts), state = 'open', updated_at = \(now)
                    WHERE id = \(id.rawValue) AND state <> 'paid'
                    RETURNING id
                    """, logger: logger)
                if !updated.isEmpty, let previous = before[id], let after = try await accrual(id.rawValue, connection, logger: logger) {
                    changes.append(.accrualChanged(before: previous, after: after))
                }
            case .void(let id, let reason):
                let voided = try await connection.execute(
                    "UPDATE accrual SET state = 'voided', note = \(reason), payout_id = NULL, updated_at = \(now) WHERE id = \(id.rawValue) AND state = 'open' RETURNING id",
                    logger: logger)
                if !voided.isEmpty, let accrual = try await accrual(id.rawValue, connection, logger: logger) {
                    changes.append(.accrualVoided(accrual, reason: reason))
                }
            }
        }

        try await PostgresOutbox.announce(changes, outbound, at: now, connection, logger: logger)

        try await connection.execute("DELETE FROM attribution_conflict", logger: logger)
        for conflict in plan.conflicts {
            try await connection.execute(
                """
                INSERT INTO attribution_conflict (customer_key, referral_id, winner, reason)
                VALUES (\(conflict.customerKey), \(conflict.referralID.rawValue), \(conflict.winner?.rawValue), \(conflict.reason))
                """, logger: logger)
        }
        for (businessKey, explanation) in plan.explanations {
            try await connection.execute(
                "UPDATE business_event SET explanation = \(explanation) WHERE business_key = \(businessKey) AND explanation IS DISTINCT FROM \(explanation)",
                logger: logger)
        }
        return plan.explanations
    }

    /// One accrual line with its contract's id.
    static func accrual(_ id: Int64, _ connection: PostgresConnection, logger: Logger) async throws -> Accrual? {
        try await connection.execute("\(unescaped: accrualSelect) WHERE accrual.id = \(id)", logger: logger).first.map { try Accrual(postgres: $0.makeRandomAccess()) }
    }

    /// A payout with its lines.
    static func payout(_ id: Int64, _ connection: PostgresConnection, logger: Logger) async throws -> Payout? {
        guard let row = try await connection.execute("SELECT created_at, paid_at, note FROM payout WHERE id = \(id)", logger: logger).first else {
            return nil
        }
        let (createdAt, paidAt, note) = try row.decode((Date, Date?, String?).self)
        let lines = try await connection.execute(
            "\(unescaped: accrualSelect) WHERE accrual.payout_id = \(id) ORDER BY accrual.id", logger: logger
        ).map { try Accrual(postgres: $0.makeRandomAccess()) }
        return Payout(id: id, createdAt: createdAt, paidAt: paidAt, note: note, lines: lines)
    }
}
