public import Foundation
public import GatewayCore
public import GatewayRepositories
import Logging
import PostgresNIO

/// The ledger's tables in PostgreSQL: contracts, accrual lines, conflicts and payouts.
///
/// An approval and a payout's payment are each one conditional update, so two instances acting
/// at once cannot both succeed; a payout batch takes its open lines `FOR UPDATE`, so two batches
/// built at once never hold the same line.
public struct PostgresLedgerRepository: LedgerRepository {
    let database: PostgresGatewayDatabase
    /// The engine's rules for outbound events, asked in each transaction whose change makes one.
    let outbound: any OutboundEventRules
    private var logger: Logger { database.logger }

    /// The repository in `database`, which must be migrated.
    public init(database: PostgresGatewayDatabase, outbound: any OutboundEventRules) {
        self.database = database
        self.outbound = outbound
    }

    /// A repository that announces no outbound event, for tests of other concerns.
    init(database: PostgresGatewayDatabase) {
        self.init(database: database, outbound: NoOutboundEvents())
    }

    public func recompute(rules: any LedgerRules, at now: Date) async throws {
        try await database.transaction { connection in _ = try await PostgresLedger.recompute(rules, outbound: outbound, at: now, connection, logger: logger) }
    }

    public func derivedDataVersion() async throws -> Int? {
        try await database.rows("SELECT engine_version FROM derived_data WHERE id = 1").first?.decode(Int.self)
    }

    /// Recomputes each event's lookup keys and the ledger when the engine's version is newer than
    /// the one that computed them, under the recomputation lock, so instances starting together
    /// rebuild once.
    @discardableResult
    public func rebuildDerivedData(version: Int, rules: any LedgerRules, at now: Date) async throws -> Bool {
        try await database.transaction { connection in
            try await connection.take(.recomputation, logger: logger)
            if let stored = try await connection.execute("SELECT engine_version FROM derived_data WHERE id = 1", logger: logger).first?.decode(Int.self),
                stored >= version
            {
                return false
            }
            let rows = try await connection.execute("SELECT delivery_id, position, payload FROM business_event", logger: logger)
            try await connection.execute("DELETE FROM business_event_key", logger: logger)
            for row in rows {
                let (delivery, position, payload) = try row.decode((Int64, Int, String).self)
                let event = try ColumnJSON.value(BusinessEvent.self, from: payload)
                try await connection.execute(
                    """
                    UPDATE business_event SET customer_key = \(event.customerKey), occurred_at = \(event.occurredAt)
                    WHERE delivery_id = \(delivery) AND position = \(position)
                    """, logger: logger)
                try await connection.execute(
                    """
                    INSERT INTO business_event_key (key, delivery_id, position)
                    SELECT key, \(delivery), \(position) FROM unnest(\(Set(event.lookupKeys).sorted())::text[]) AS key
                    """, logger: logger)
            }
            try await PostgresLedger.recompute(rules, outbound: outbound, at: now, connection, logger: logger)
            try await connection.execute(
                """
                INSERT INTO derived_data (id, engine_version, computed_at) VALUES (1, \(version), \(now))
                ON CONFLICT (id) DO UPDATE SET engine_version = excluded.engine_version, computed_at = excluded.computed_at
                """, logger: logger)
            return true
        }
    }

    public func accrual(_ id: AccrualID) async throws -> Accrual? {
        try await accruals("WHERE accrual.id = \(id.rawValue)").first
    }

    public func accruals(partner: PartnerID) async throws -> [Accrual] {
        try await accruals("WHERE accrual.partner_id = \(partner.rawValue) ORDER BY earned_at, accrual.id")
    }

    public func allAccruals() async throws -> [Accrual] {
        try await accruals("ORDER BY earned_at, accrual.id")
    }

    public func accruals(fromDelivery delivery: DeliveryID) async throws -> [Accrual] {
        try await accruals("WHERE accrual.delivery_id = \(delivery.rawValue) ORDER BY accrual.id")
    }

    /// Accrual rows, with their contract, chosen and ordered by `tail`.
    private func accruals(_ tail: PostgresQuery) async throws -> [Accrual] {
        try await database.rows(PostgresQuery(unsafeSQL: PostgresLedger.accrualSelect + " " + tail.sql, binds: tail.binds))
            .map { try Accrual(postgres: $0.makeRandomAccess()) }
    }

    public func accrualCount() async throws -> Int {
        try await database.rows("SELECT COUNT(*) FROM accrual").first?.decode(Int.self) ?? 0
    }

    public func contracts() async throws -> [Contract] {
        try await database.rows("SELECT * FROM contract ORDER BY id").map { try Contract(postgres: $0.makeRandomAccess()) }
    }

    public func conflicts() async throws -> [AttributionConflict] {
        try await database.rows("SELECT customer_key, referral_id, winner, reason FROM attribution_conflict ORDER BY customer_key, referral_id").map { row in
            let (customer, referral, winner, reason) = try row.decode((String, Int64, Int64?, String).self)
            return AttributionConflict(customerKey: customer, referralID: ReferralID(referral), winner: winner.map(ReferralID.init), reason: reason)
        }
    }

    // MARK: Approvals and payouts

    public func markApproved(_ id: AccrualID, at now: Date) async throws -> Accrual {
        try await database.transaction { connection in
            let approved = try await connection.execute(
                "UPDATE accrual SET approved_at = \(now) WHERE id = \(id.rawValue) AND state = 'open' RETURNING id", logger: logger)
            guard !approved.isEmpty,
                let row = try await connection.execute("\(unescaped: PostgresLedger.accrualSelect) WHERE accrual.id = \(id.rawValue)", logger: logger).first
            else { throw GatewayError.refused("accrual \(id) is no longer open") }
            let accrual = try Accrual(postgres: row.makeRandomAccess())
            try await connection.audit("accrual.approved", subject: "accrual:\(id)", detail: ["amount": "\(accrual.line.amount)"], at: now, logger: logger)
            try await PostgresOutbox.announce([.accrualApproved(accrual)], outbound, at: now, connection, logger: logger)
            return accrual
        }
    }

    public func addPayout(note: String?, at now: Date, select: @Sendable ([Accrual]) -> [Accrual]) async throws -> Payout? {
        try await database.transaction { connection in
            // Locked, so a batch built at the same moment on another instance waits, then finds them taken.
            let open = try await connection.execute(
                "\(unescaped: PostgresLedger.accrualSelect) WHERE accrual.state = 'open' AND accrual.payout_id IS NULL ORDER BY accrual.id FOR UPDATE OF accrual",
                logger: logger
            ).map { try Accrual(postgres: $0.makeRandomAccess()) }
            let lines = select(open)
            guard !lines.isEmpty else { return nil }
            guard let row = try await connection.execute("INSERT INTO payout (created_at, note) VALUES (\(now), \(note)) RETURNING id", logger: logger).first
            else { return nil }
            let id = try row.decode(Int64.self)
            try await connection.execute("UPDATE accrual SET payout_id = \(id) WHERE id = ANY(\(lines.map(\.id.rawValue)))", logger: logger)
            try await connection.audit("payout.created", subject: "payout:\(id)", detail: ["lines": "\(lines.count)"], at: now, logger: logger)
            guard let payout = try await PostgresLedger.payout(id, connection, logger: logger) else { return nil }
            try await PostgresOutbox.announce([.payoutCreated(payout)], outbound, at: now, connection, logger: logger)
            return payout
        }
    }

    public func markPayoutPaid(_ id: Int64, at now: Date) async throws -> Payout {
        try await database.transaction { connection in
            let paid = try await connection.execute("UPDATE payout SET paid_at = \(now) WHERE id = \(id) AND paid_at IS NULL RETURNING id", logger: logger)
            guard !paid.isEmpty else {
                // The engine names an unknown payout before it asks; here it was paid, perhaps a moment ago elsewhere.
                throw GatewayError.refused("payout \(id) was already marked paid")
            }
            try await connection.execute("UPDATE accrual SET state = 'paid', updated_at = \(now) WHERE payout_id = \(id)", logger: logger)
            try await connection.audit("payout.paid", subject: "payout:\(id)", detail: [:], at: now, logger: logger)
            guard let payout = try await PostgresLedger.payout(id, connection, logger: logger) else { throw GatewayError.notFound("payout \(id) does not exist") }
            try await PostgresOutbox.announce([.payoutPaid(payout)], outbound, at: now, connection, logger: logger)
            return payout
        }
    }

    public func payouts() async throws -> [Payout] {
        try await database.snapshot { connection in
            var payouts: [Payout] = []
            for row in try await connection.execute("SELECT id FROM payout ORDER BY id", logger: logger) {
                if let payout = try await PostgresLedger.payout(try row.decode(Int64.self), connection, logger: logger) { payouts.append(payout) }
            }
            return payouts
        }
    }

    public func payout(_ id: Int64) async throws -> Payout? {
        try await database.snapshot { connection in try await PostgresLedger.payout(id, connection, logger: logger) }
    }
}
