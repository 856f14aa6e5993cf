public import Foundation
public import GatewayCore
public import GatewayRepositories
import Logging
import PostgresNIO

/// The program's tables in PostgreSQL: partners, plans, referrals, settings, outbound referrals,
/// client reviews and the audit trail.
///
/// Not yet on PostgreSQL: every write the ledger must follow in the same transaction (a new plan
/// version, a referral, its qualification or loss, an override, the settings, and `apply` when it
/// holds partners, referrals or status changes). They are refused (`GatewayError.refused`) with
/// nothing written, until the ledger's recomputation is kept on PostgreSQL.
public struct PostgresProgramRepository: ProgramRepository {
    let database: PostgresGatewayDatabase
    private var logger: Logger { database.logger }

    /// The repository in `database`, which must be migrated.
    public init(database: PostgresGatewayDatabase) {
        self.database = database
    }

    /// Why a write the ledger must follow is refused.
    private static func ledgerNotYet(_ what: String) -> GatewayError {
        GatewayError.refused("\(what) changes the ledger, which is not yet kept on PostgreSQL")
    }

    // MARK: Partners

    public func addPartner(_ partner: Partner, at now: Date) async throws -> Partner {
        try await database.transaction { connection in
            let rows = try await connection.execute(
                """
                INSERT INTO partner (name, kind, specialty, payout_form, email, domains, vendor_ids, created_at)
                VALUES (\(partner.name), \(partner.kind.rawValue), \(partner.specialty?.rawValue), \(partner.payoutForm.rawValue), \(partner.email),
                    \(try PostgresCoding.text(partner.domains)), \(try PostgresCoding.text(partner.vendorIDs)), \(now))
                RETURNING id
                """, logger: logger)
            var stored = partner
            stored.id = PartnerID(try rows.first?.decode(Int64.self) ?? 0)
            stored.createdAt = now
            try await connection.audit("partner.created", subject: "partner:\(stored.id)", detail: ["name": partner.name], at: now, logger: logger)
            return stored
        }
    }

    public func partners() async throws -> [Partner] {
        try await database.rows("SELECT * FROM partner ORDER BY id").map(Partner.init(postgres:))
    }

    public func partner(_ id: PartnerID) async throws -> Partner? {
        try await database.rows("SELECT * FROM partner WHERE id = \(id.rawValue)").first.map(Partner.init(postgres:))
    }

    // MARK: Plans

    /// A new plan and its first version. The name is unique by its constraint, so two instances
    /// adding one name at once make one plan; the other is told.
    public func addPlan(name: String, terms: PlanTerms, at now: Date) async throws -> CommissionPlan {
        try await database.transaction { connection in
            guard let row = try await connection.execute(
                "INSERT INTO plan (name) VALUES (\(name)) ON CONFLICT (name) DO NOTHING RETURNING id", logger: logger
            ).first else {
                throw GatewayError.conflict("a plan named \(name) exists")
            }
            let id = PlanID(try row.decode(Int64.self))
            let version = PlanVersion(planID: id, version: 1, terms: terms)
            try await connection.execute(
                """
                INSERT INTO plan_version (plan_id, version, effective_from, terms)
                VALUES (\(id.rawValue), \(version.version), \(version.effectiveFrom), \(try PostgresCoding.text(version.terms)))
                """, logger: logger)
            try await connection.audit("plan.created", subject: "plan:\(id)", detail: ["name": name], at: now, logger: logger)
            return CommissionPlan(id: id, name: name, versions: [version])
        }
    }

    public func addPlanVersion(_ plan: PlanID, terms: PlanTerms, rules: any LedgerRules, at now: Date) async throws -> PlanVersion {
        throw Self.ledgerNotYet("a new plan version")
    }

    public func plans() async throws -> [CommissionPlan] {
        try await database.snapshot { connection in
            let versions = try await connection.execute("SELECT * FROM plan_version ORDER BY plan_id, version", logger: logger)
                .map(PlanVersion.init(postgres:))
            let byPlan = Dictionary(grouping: versions, by: \.planID)
            return try await connection.execute("SELECT id, name FROM plan ORDER BY id", logger: logger).map { row in
                let (id, name) = try row.decode((Int64, String).self)
                return CommissionPlan(id: PlanID(id), name: name, versions: byPlan[PlanID(id)] ?? [])
            }
        }
    }

    public func plan(_ id: PlanID) async throws -> CommissionPlan? {
        try await database.snapshot { connection in
            guard let row = try await connection.execute("SELECT name FROM plan WHERE id = \(id.rawValue)", logger: logger).first else { return nil }
            let versions = try await connection.execute("SELECT * FROM plan_version WHERE plan_id = \(id.rawValue) ORDER BY version", logger: logger)
                .map(PlanVersion.init(postgres:))
            return CommissionPlan(id: id, name: try row.decode(String.self), versions: versions)
        }
    }

    // MARK: Referrals

    public func addReferral(_ referral: Referral, flags: [String], rules: any LedgerRules, at now: Date) async throws -> StoredReferral {
        throw Self.ledgerNotYet("a referral")
    }

    public func referrals() async throws -> [StoredReferral] {
        try await storedReferrals(nil)
    }

    public func referral(_ id: ReferralID) async throws -> StoredReferral? {
        try await storedReferrals(id).first
    }

    /// One referral, or all of them, each with its contract's start.
    private func storedReferrals(_ id: ReferralID?) async throws -> [StoredReferral] {
        try await database.rows(
            """
            SELECT referral.*, contract.started_at AS contract_started_at FROM referral
            LEFT JOIN contract ON contract.referral_id = referral.id
            WHERE \(id?.rawValue)::bigint IS NULL OR referral.id = \(id?.rawValue)
            ORDER BY referral.id
            """
        ).map { row in
            let row = row.makeRandomAccess()
            return StoredReferral(
                referral: try Referral(postgres: row), flags: try PostgresCoding.value([String].self, from: row["flags"].decode(String.self)),
                contractStartedAt: try row["contract_started_at"].decode(Date?.self))
        }
    }

    public func claims(on keys: [String], otherThan partner: PartnerID) async throws -> [ReferralID] {
        guard !keys.isEmpty else { return [] }
        return try await database.rows(
            """
            SELECT DISTINCT r.id FROM referral_key k JOIN referral r ON r.id = k.referral_id
            WHERE k.key = ANY(\(keys)) AND r.partner_id <> \(partner.rawValue) ORDER BY r.id
            """
        ).map { ReferralID(try $0.decode(Int64.self)) }
    }

    public func firstClientEvent(on keys: [String], before date: Date) async throws -> Date? {
        guard !keys.isEmpty else { return nil }
        return try await database.rows(
            """
            SELECT MIN(e.occurred_at) FROM business_event_key k
            JOIN business_event e ON e.delivery_id = k.delivery_id AND e.position = k.position
            WHERE k.key = ANY(\(keys)) AND e.kind IN ('invoice_paid', 'agreement_created', 'client_signed') AND e.occurred_at < \(date)
            """
        ).first?.decode(Date?.self) ?? nil
    }

    public func setQualified(_ id: ReferralID, on date: Date, rules: any LedgerRules, at now: Date) async throws {
        throw Self.ledgerNotYet("a qualified meeting")
    }

    public func setLost(_ id: ReferralID, on date: Date, reason: String, rules: any LedgerRules, at now: Date) async throws {
        throw Self.ledgerNotYet("a lost prospect")
    }

    public func addOverride(customerKey: String, to referral: ReferralID, reason: String, rules: any LedgerRules, at now: Date) async throws {
        throw Self.ledgerNotYet("an attribution override")
    }

    // MARK: Settings

    public func settings() async throws -> ProgramSettings {
        guard let text = try await database.rows("SELECT settings FROM program_settings WHERE id = 1").first?.decode(String.self) else {
            return ProgramSettings()
        }
        return try PostgresCoding.value(ProgramSettings.self, from: text)
    }

    public func saveSettings(_ settings: ProgramSettings, rules: any LedgerRules, at now: Date) async throws {
        throw Self.ledgerNotYet("the program's settings")
    }

    // MARK: Give and get, reviews

    public func addOutboundReferral(_ referral: OutboundReferral, at now: Date) async throws -> OutboundReferral {
        try await database.transaction { connection in try await insertOutbound(referral, at: now, connection) }
    }

    private func insertOutbound(_ referral: OutboundReferral, at now: Date, _ connection: PostgresConnection) async throws -> OutboundReferral {
        let rows = try await connection.execute(
            """
            INSERT INTO outbound_referral (partner_id, client_name, referred_at, monthly_value, note)
            VALUES (\(referral.partnerID.rawValue), \(referral.clientName), \(referral.referredAt), \(try referral.monthlyValue.map(PostgresCoding.text)),
                \(referral.note))
            RETURNING id
            """, logger: logger)
        var stored = referral
        stored.id = try rows.first?.decode(Int64.self) ?? 0
        try await connection.audit("outbound.recorded", subject: "partner:\(referral.partnerID)", detail: ["client": referral.clientName], at: now, logger: logger)
        return stored
    }

    public func outboundReferrals() async throws -> [OutboundReferral] {
        try await database.rows("SELECT id, partner_id, client_name, referred_at, monthly_value, note FROM outbound_referral ORDER BY id").map { row in
            let (id, partner, client, referredAt, monthly, note) = try row.decode((Int64, Int64, String, Date, String?, String?).self)
            return OutboundReferral(
                id: id, partnerID: PartnerID(partner), clientName: client, referredAt: referredAt,
                monthlyValue: try monthly.map { try PostgresCoding.value(Money.self, from: $0) }, note: note)
        }
    }

    public func addClientReview(_ review: ClientReview, at now: Date) async throws -> ClientReview {
        try await database.transaction { connection in try await insertReview(review, at: now, connection) }
    }

    private func insertReview(_ review: ClientReview, at now: Date, _ connection: PostgresConnection) async throws -> ClientReview {
        let rows = try await connection.execute(
            """
            INSERT INTO client_review (client, reviewed_on, outcome, note, created_at)
            VALUES (\(review.client), \(review.reviewedOn), \(review.outcome.rawValue), \(review.note), \(now))
            RETURNING id
            """, logger: logger)
        var stored = review
        stored.id = try rows.first?.decode(Int64.self) ?? 0
        try await connection.audit("client_review.recorded", subject: "client:\(review.client)", detail: ["outcome": review.outcome.rawValue], at: now, logger: logger)
        return stored
    }

    public func clientReviews() async throws -> [ClientReview] {
        try await database.rows("SELECT id, client, reviewed_on, outcome, note FROM client_review ORDER BY reviewed_on, id").map { row in
            let (id, client, reviewedOn, outcome, note) = try row.decode((Int64, String, Date, String, String?).self)
            guard let outcome = ClientReview.Outcome(rawValue: outcome) else {
                throw GatewayError.invalid("client review \(id) has an unknown outcome")
            }
            return ClientReview(id: id, client: client, reviewedOn: reviewedOn, outcome: outcome, note: note)
        }
    }

    // MARK: Changes together

    /// Applies outbound referrals and client reviews in one transaction. Changes the ledger reads
    /// (partners, referrals, their status) are refused whole, with nothing written.
    public func apply(_ changes: ProgramChanges, rules: any LedgerRules, at now: Date) async throws {
        guard changes.newPartners.isEmpty, changes.changedPartners.isEmpty, changes.newReferrals.isEmpty, changes.statusChanges.isEmpty else {
            throw Self.ledgerNotYet("a change to partners or referrals")
        }
        try await database.transaction { connection in
            for referral in changes.newOutboundReferrals { _ = try await insertOutbound(referral, at: now, connection) }
            for referral in changes.changedOutboundReferrals {
                try await connection.execute(
                    "UPDATE outbound_referral SET monthly_value = \(try referral.monthlyValue.map(PostgresCoding.text)), note = \(referral.note) WHERE id = \(referral.id)",
                    logger: logger)
                try await connection.audit("outbound.changed", subject: "partner:\(referral.partnerID)", detail: ["client": referral.clientName], at: now, logger: logger)
            }
            for review in changes.newClientReviews { _ = try await insertReview(review, at: now, connection) }
            for review in changes.changedClientReviews {
                try await connection.execute(
                    "UPDATE client_review SET outcome = \(review.outcome.rawValue), note = \(review.note) WHERE id = \(review.id)", logger: logger)
                try await connection.audit(
                    "client_review.changed", subject: "client:\(review.client)", detail: ["outcome": review.outcome.rawValue], at: now, logger: logger)
            }
        }
    }

    // MARK: Audit

    public func auditLog(limit: Int) async throws -> [AuditEntry] {
        try await database.rows("SELECT at, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT \(limit)").map { row in
            let (at, action, subject, detail) = try row.decode((Date, String, String, String).self)
            return AuditEntry(at: at, action: action, subject: subject, detail: try PostgresCoding.value([String: String].self, from: detail))
        }
    }
}
