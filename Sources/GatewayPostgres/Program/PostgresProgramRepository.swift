public import Foundation
public import GatewayCore
public import GatewayRepositories
import Logging
import PostgresNIO

/// The program's tables in PostgreSQL: partners, plans, referrals, settings, outbound referrals,
/// client reviews and the audit trail. A change the ledger reads is written with the ledger's
/// recomputation in one transaction.
public struct PostgresProgramRepository: ProgramRepository {
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

    // MARK: Partners

    public func addPartner(_ partner: Partner, at now: Date) async throws -> Partner {
        try await database.transaction { connection in try await insertPartner(partner, at: now, connection) }
    }

    private func insertPartner(_ partner: Partner, at now: Date, _ connection: PostgresConnection) async throws -> Partner {
        let rows = try await connection.execute(
            """
            INSERT INTO partner (name, kind, specialty, payout_form, email, domains, vendor_ids, created_at)
            VALUES (\(partner.name), \(partner.kind.rawValue), \(partner.specialty?.rawValue), \(partner.payoutForm.rawValue), \(partner.email),
                \(try ColumnJSON.text(partner.domains)), \(try ColumnJSON.text(partner.vendorIDs)), \(now))
            RETURNING id
            """, logger: logger)
        var stored = partner
        stored.id = PartnerID(try rows.first?.decode(Int64.self) ?? 0)
        stored.createdAt = now
        try await connection.audit("partner.created", subject: "partner:\(stored.id)", detail: ["name": partner.name], at: now, logger: logger)
        return stored
    }

    private func updatePartnerRow(_ partner: Partner, at now: Date, _ connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            UPDATE partner SET name = \(partner.name), kind = \(partner.kind.rawValue), specialty = \(partner.specialty?.rawValue),
                payout_form = \(partner.payoutForm.rawValue), email = \(partner.email), domains = \(try ColumnJSON.text(partner.domains)),
                vendor_ids = \(try ColumnJSON.text(partner.vendorIDs)), deactivated_at = \(partner.deactivatedAt)
            WHERE id = \(partner.id.rawValue)
            """, logger: logger)
        try await connection.audit(
            "partner.changed", subject: "partner:\(partner.id)", detail: ["name": partner.name, "active": partner.isActive ? "yes" : "no"], at: now,
            logger: logger)
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
                VALUES (\(id.rawValue), \(version.version), \(version.effectiveFrom), \(try ColumnJSON.text(version.terms)))
                """, logger: logger)
            try await connection.audit("plan.created", subject: "plan:\(id)", detail: ["name": name], at: now, logger: logger)
            return CommissionPlan(id: id, name: name, versions: [version])
        }
    }

    public func addPlanVersion(_ plan: PlanID, terms: PlanTerms, rules: any LedgerRules, at now: Date) async throws -> PlanVersion {
        try await database.transaction { connection in
            // The plan's row is locked, so two versions added at once on two instances get two numbers.
            guard try await !connection.execute("SELECT id FROM plan WHERE id = \(plan.rawValue) FOR UPDATE", logger: logger).isEmpty,
                let latest = try await connection.execute("SELECT MAX(version) FROM plan_version WHERE plan_id = \(plan.rawValue)", logger: logger)
                    .first?.decode(Int?.self) ?? nil
            else {
                throw GatewayError.notFound("plan \(plan) does not exist")
            }
            let version = PlanVersion(planID: plan, version: latest + 1, terms: terms)
            try await connection.execute(
                """
                INSERT INTO plan_version (plan_id, version, effective_from, terms)
                VALUES (\(plan.rawValue), \(version.version), \(version.effectiveFrom), \(try ColumnJSON.text(version.terms)))
                """, logger: logger)
            try await connection.audit("plan.version_added", subject: "plan:\(plan)", detail: ["version": "\(version.version)"], at: now, logger: logger)
            try await PostgresLedger.recompute(rules, outbound: outbound, at: now, connection, logger: logger)
            return version
        }
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
        let id = try await database.transaction { connection in
            let id = try await Self.insertReferral(referral, flags: flags, at: now, connection, logger: logger)
            try await PostgresLedger.recompute(rules, outbound: outbound, at: now, connection, logger: logger)
            return id
        }
        guard let stored = try await self.referral(id) else { throw GatewayError.notFound("referral \(id) does not exist") }
        return stored
    }

    /// A new referral and the keys it is matched by, audited, in the caller's transaction.
    static func insertReferral(_ referral: Referral, flags: [String], at now: Date, _ connection: PostgresConnection, logger: Logger) async throws
        -> ReferralID
    {
        let rows = try await connection.execute(
            """
            INSERT INTO referral (partner_id, plan_id, prospect_name, domains, contact_emails, vendor_ids, referral_code,
                introduced_at, status, claim_share, flags)
            VALUES (\(referral.partnerID.rawValue), \(referral.planID.rawValue), \(referral.prospectName), \(try ColumnJSON.text(referral.domains)),
                \(try ColumnJSON.text(referral.contactEmails)), \(try ColumnJSON.text(referral.vendorIDs)), \(referral.referralCode),
                \(referral.introducedAt), 'introduced', \(referral.claimShare), \(try ColumnJSON.text(flags)))
            RETURNING id
            """, logger: logger)
        let id = ReferralID(try rows.first?.decode(Int64.self) ?? 0)
        try await connection.execute(
            """
            INSERT INTO referral_key (key, referral_id)
            SELECT DISTINCT key, \(id.rawValue) FROM unnest(\(referral.matchKeys.map(\.storageKey))::text[]) AS key
            ON CONFLICT DO NOTHING
            """, logger: logger)
        try await connection.audit(
            "referral.created", subject: "referral:\(id)",
            detail: ["partner": "\(referral.partnerID)", "prospect": referral.prospectName, "flags": flags.joined(separator: "; ")], at: now,
            logger: logger)
        return id
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
                referral: try Referral(postgres: row), flags: try ColumnJSON.value([String].self, from: row["flags"].decode(String.self)),
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
        try await updateReferral(id, rules: rules, at: now) { connection in try await record(.qualified(on: date), of: id, at: now, connection) }
    }

    public func setLost(_ id: ReferralID, on date: Date, reason: String, rules: any LedgerRules, at now: Date) async throws {
        try await updateReferral(id, rules: rules, at: now) { connection in
            try await record(.lost(on: date, reason: reason), of: id, at: now, connection)
        }
    }

    private func record(_ status: ProgramChanges.StatusChange, of id: ReferralID, at now: Date, _ connection: PostgresConnection) async throws {
        switch status {
        case .qualified(let date):
            try await connection.execute("UPDATE referral SET qualified_at = \(date) WHERE id = \(id.rawValue)", logger: logger)
            try await connection.audit("referral.qualified", subject: "referral:\(id)", detail: ["on": date.formatted(.iso8601)], at: now, logger: logger)
        case .lost(let date, let reason):
            try await connection.execute(
                "UPDATE referral SET lost_at = \(date), lost_reason = \(reason.isEmpty ? nil : reason) WHERE id = \(id.rawValue)", logger: logger)
            try await connection.audit(
                "referral.lost", subject: "referral:\(id)", detail: ["on": date.formatted(.iso8601), "reason": reason], at: now, logger: logger)
            if let row = try await connection.execute("SELECT * FROM referral WHERE id = \(id.rawValue)", logger: logger).first {
                try await PostgresOutbox.announce([.referralLost(try Referral(postgres: row.makeRandomAccess()))], outbound, at: now, connection, logger: logger)
            }
        }
    }

    public func addOverride(customerKey: String, to referral: ReferralID, reason: String, rules: any LedgerRules, at now: Date) async throws {
        try await updateReferral(referral, rules: rules, at: now) { connection in
            try await connection.execute(
                """
                INSERT INTO attribution_override (customer_key, referral_id, reason, created_at)
                VALUES (\(customerKey), \(referral.rawValue), \(reason), \(now))
                """, logger: logger)
            try await connection.audit(
                "attribution.overridden", subject: "referral:\(referral)", detail: ["customer": customerKey, "reason": reason], at: now, logger: logger)
        }
    }

    /// One change to an existing referral (audited by `change`), then the recomputation.
    private func updateReferral(
        _ id: ReferralID, rules: any LedgerRules, at now: Date, _ change: (PostgresConnection) async throws -> Void
    ) async throws {
        try await database.transaction { connection in
            guard try await !connection.execute("SELECT id FROM referral WHERE id = \(id.rawValue) FOR UPDATE", logger: logger).isEmpty else {
                throw GatewayError.notFound("referral \(id) does not exist")
            }
            try await change(connection)
            try await PostgresLedger.recompute(rules, outbound: outbound, at: now, connection, logger: logger)
        }
    }

    // MARK: Settings

    public func settings() async throws -> ProgramSettings {
        guard let text = try await database.rows("SELECT settings FROM program_settings WHERE id = 1").first?.decode(String.self) else {
            return ProgramSettings()
        }
        return try ColumnJSON.value(ProgramSettings.self, from: text)
    }

    public func saveSettings(_ settings: ProgramSettings, rules: any LedgerRules, at now: Date) async throws {
        let text = try ColumnJSON.text(settings)
        try await database.transaction { connection in
            try await connection.execute(
                "INSERT INTO program_settings (id, settings) VALUES (1, \(text)) ON CONFLICT (id) DO UPDATE SET settings = excluded.settings",
                logger: logger)
            try await connection.audit("settings.changed", subject: "program", detail: ["settings": text], at: now, logger: logger)
            try await PostgresLedger.recompute(rules, outbound: outbound, at: now, connection, logger: logger)
        }
    }

    // MARK: Give and get, reviews

    public func addOutboundReferral(_ referral: OutboundReferral, at now: Date) async throws -> OutboundReferral {
        try await database.transaction { connection in try await insertOutbound(referral, at: now, connection) }
    }

    private func insertOutbound(_ referral: OutboundReferral, at now: Date, _ connection: PostgresConnection) async throws -> OutboundReferral {
        let rows = try await connection.execute(
            """
            INSERT INTO outbound_referral (partner_id, client_name, referred_at, monthly_value, note)
            VALUES (\(referral.partnerID.rawValue), \(referral.clientName), \(referral.referredAt), \(try referral.monthlyValue.map(ColumnJSON.text)),
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
                monthlyValue: try monthly.map { try ColumnJSON.value(Money.self, from: $0) }, note: note)
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

    /// Applies every change in one transaction, with one recomputation when any of them is what the
    /// ledger reads (partners, referrals, their status).
    public func apply(_ changes: ProgramChanges, rules: any LedgerRules, at now: Date) async throws {
        try await database.transaction { connection in
            for partner in changes.newPartners { _ = try await insertPartner(partner, at: now, connection) }
            for partner in changes.changedPartners { try await updatePartnerRow(partner, at: now, connection) }
            for new in changes.newReferrals {
                let id = try await Self.insertReferral(new.referral, flags: new.flags, at: now, connection, logger: logger)
                if let status = new.status { try await record(status, of: id, at: now, connection) }
            }
            for (id, status) in changes.statusChanges { try await record(status, of: id, at: now, connection) }
            for referral in changes.newOutboundReferrals { _ = try await insertOutbound(referral, at: now, connection) }
            for referral in changes.changedOutboundReferrals {
                try await connection.execute(
                    "UPDATE outbound_referral SET monthly_value = \(try referral.monthlyValue.map(ColumnJSON.text)), note = \(referral.note) WHERE id = \(referral.id)",
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
            if !(changes.newPartners.isEmpty && changes.changedPartners.isEmpty && changes.newReferrals.isEmpty && changes.statusChanges.isEmpty) {
                try await PostgresLedger.recompute(rules, outbound: outbound, at: now, connection, logger: logger)
            }
        }
    }

    // MARK: Audit

    public func auditLog(limit: Int) async throws -> [AuditEntry] {
        try await database.rows("SELECT at, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT \(limit)").map { row in
            let (at, action, subject, detail) = try row.decode((Date, String, String, String).self)
            return AuditEntry(at: at, action: action, subject: subject, detail: try ColumnJSON.value([String: String].self, from: detail))
        }
    }
}
