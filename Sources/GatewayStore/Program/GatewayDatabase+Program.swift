public import Foundation
public import GatewayCore
import GRDB

extension GatewayDatabase {
    // MARK: Partners

    public func createPartner(_ new: NewPartner, at now: Date) async throws -> Partner {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO partner (name, kind, specialty, payout_form, email, domains, vendor_ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    new.name, new.kind.rawValue, new.specialty?.rawValue, new.payoutForm.rawValue, new.email,
                    try StoreCoding.text(new.domains.map { $0.lowercased() }), try StoreCoding.text(new.vendorIDs), now,
                ])
            let partner = Partner(
                id: PartnerID(db.lastInsertedRowID), name: new.name, kind: new.kind, specialty: new.specialty, payoutForm: new.payoutForm,
                email: new.email, domains: new.domains, vendorIDs: new.vendorIDs, createdAt: now)
            try Self.audit("partner.created", subject: "partner:\(partner.id)", detail: ["name": new.name], at: now, db)
            return partner
        }
    }

    public func partners() async throws -> [Partner] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM partner ORDER BY id").map(Partner.init(row:)) }
    }

    public func partner(_ id: PartnerID) async throws -> Partner? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM partner WHERE id = ?", arguments: [id.rawValue]).map(Partner.init(row:))
        }
    }

    // MARK: Plans

    /// Creates a plan with its first version.
    ///
    /// - Throws: `StoreError.conflict` when the name is taken.
    public func createPlan(_ new: NewPlan, at now: Date = Date()) async throws -> CommissionPlan {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM plan WHERE name = ?)", arguments: [new.name]) == true {
                throw StoreError(.conflict, "a plan named \(new.name) exists")
            }
            try db.execute(sql: "INSERT INTO plan (name) VALUES (?)", arguments: [new.name])
            let id = PlanID(db.lastInsertedRowID)
            let version = try Self.insertVersion(of: id, number: 1, new.terms, db)
            try Self.audit("plan.created", subject: "plan:\(id)", detail: ["name": new.name], at: now, db)
            return CommissionPlan(id: id, name: new.name, versions: [version])
        }
    }

    /// Adds a version to a plan. It applies from its effective date; accruals earned before it keep
    /// the version that made them.
    public func addPlanVersion(_ plan: PlanID, _ terms: PlanTerms, at now: Date) async throws -> PlanVersion {
        try await pool.write { db in
            guard let latest = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM plan_version WHERE plan_id = ?", arguments: [plan.rawValue]) else {
                throw StoreError(.notFound, "plan \(plan) does not exist")
            }
            let version = try Self.insertVersion(of: plan, number: latest + 1, terms, db)
            try Self.audit("plan.version_added", subject: "plan:\(plan)", detail: ["version": "\(version.version)"], at: now, db)
            try Self.reproject(at: now, db)
            return version
        }
    }

    private static func insertVersion(of plan: PlanID, number: Int, _ terms: PlanTerms, _ db: Database) throws -> PlanVersion {
        let version = PlanVersion(
            planID: plan, version: number, effectiveFrom: terms.effectiveFrom, rules: terms.rules, holdDays: terms.holdDays,
            attributionWindowDays: terms.attributionWindowDays, tiers: terms.tiers, capPerReferral: terms.capPerReferral,
            capPerPartnerPerYear: terms.capPerPartnerPerYear, excludeOneTimeLines: terms.excludeOneTimeLines)
        try db.execute(
            sql: """
                INSERT INTO plan_version (plan_id, version, effective_from, rules, hold_days, attribution_window_days, terms)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                plan.rawValue, number, terms.effectiveFrom, try StoreCoding.text(terms.rules), terms.holdDays, terms.attributionWindowDays,
                try StoreCoding.text(VersionTerms(version)),
            ])
        return version
    }

    public func plans() async throws -> [CommissionPlan] {
        try await pool.read { db in
            let versions = try Row.fetchAll(db, sql: "SELECT * FROM plan_version ORDER BY plan_id, version").map(PlanVersion.init(row:))
            let byPlan = Dictionary(grouping: versions, by: \.planID)
            return try Row.fetchAll(db, sql: "SELECT * FROM plan ORDER BY id").map { row in
                let id = PlanID(row["id"])
                return CommissionPlan(id: id, name: row["name"], versions: byPlan[id] ?? [])
            }
        }
    }

    // MARK: Referrals

    /// Records a referral and the keys customers will be matched to it by, then recomputes the
    /// ledger so events that arrived before it are picked up (inside its window).
    ///
    /// - Throws: `StoreError.notFound` for an unknown partner or plan; `StoreError.refused` for a
    ///   self-referral (the prospect is the partner's own company).
    public func createReferral(_ new: NewReferral, at now: Date = Date()) async throws -> ReferralRecord {
        try await pool.write { db in
            guard let partner = try Row.fetchOne(db, sql: "SELECT * FROM partner WHERE id = ?", arguments: [new.partnerID.rawValue]).map(Partner.init(row:))
            else { throw StoreError(.notFound, "partner \(new.partnerID) does not exist") }
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM plan WHERE id = ?)", arguments: [new.planID.rawValue]) == true
            else { throw StoreError(.notFound, "plan \(new.planID) does not exist") }
            var referral = Referral(
                id: ReferralID(0), partnerID: new.partnerID, planID: new.planID, prospectName: new.prospectName, domains: new.domains,
                contactEmails: new.contactEmails, vendorIDs: new.vendorIDs, referralCode: new.referralCode, introducedAt: new.introducedAt,
                claimShare: new.claimShare)
            let keys = referral.matchKeys.map(\.storageKey)
            let own = partner.ownKeys.intersection(keys)
            guard own.isEmpty else {
                throw StoreError(.refused, "self-referral: \(own.sorted().joined(separator: ", ")) identifies partner \(partner.id) itself")
            }
            let flags = try Self.flags(forKeys: keys, partner: partner.id, introducedAt: new.introducedAt, db)
            try db.execute(
                sql: """
                    INSERT INTO referral (partner_id, plan_id, prospect_name, domains, contact_emails, vendor_ids, referral_code,
                        introduced_at, status, claim_share, flags)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'introduced', ?, ?)
                    """,
                arguments: [
                    referral.partnerID.rawValue, referral.planID.rawValue, referral.prospectName, try StoreCoding.text(referral.domains),
                    try StoreCoding.text(referral.contactEmails), try StoreCoding.text(referral.vendorIDs), referral.referralCode,
                    referral.introducedAt, referral.claimShare, try StoreCoding.text(flags),
                ])
            referral.id = ReferralID(db.lastInsertedRowID)
            for key in keys {
                try db.execute(sql: "INSERT OR IGNORE INTO referral_key (key, referral_id) VALUES (?, ?)", arguments: [key, referral.id.rawValue])
            }
            try Self.audit(
                "referral.created", subject: "referral:\(referral.id)",
                detail: ["partner": "\(referral.partnerID)", "prospect": referral.prospectName, "flags": flags.joined(separator: "; ")], at: now, db)
            try Self.reproject(at: now, db)
            return try Self.referralRecord(referral.id, at: now, db)!
        }
    }

    /// What a new referral's keys already point at: a company that is a client, or one another
    /// partner claimed.
    private static func flags(forKeys keys: [String], partner: PartnerID, introducedAt: Date, _ db: Database) throws -> [String] {
        guard !keys.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: keys.count).joined(separator: ", ")
        var flags: [String] = []
        let claimed = try Int64.fetchAll(
            db,
            sql: "SELECT DISTINCT r.id FROM referral_key k JOIN referral r ON r.id = k.referral_id WHERE k.key IN (\(marks)) AND r.partner_id != ?",
            arguments: StatementArguments(keys + [partner.rawValue]))
        if !claimed.isEmpty {
            flags.append("already claimed by referral \(claimed.map(String.init).joined(separator: ", ")) of another partner")
        }
        let earlier = try Date.fetchOne(
            db,
            sql: """
                SELECT MIN(e.occurred_at) FROM business_event_key k JOIN business_event e ON e.delivery_id = k.delivery_id AND e.position = k.position
                WHERE k.key IN (\(marks)) AND e.kind IN ('invoice_paid', 'agreement_created', 'client_signed') AND e.occurred_at < ?
                """,
            arguments: StatementArguments(keys + [introducedAt]))
        if let earlier {
            flags.append("already a client: paid or signed on \(earlier.formatted(.iso8601)), before the introduction")
        }
        return flags
    }

    public func referrals(at now: Date = Date()) async throws -> [ReferralRecord] {
        try await pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM referral ORDER BY id").compactMap { try Self.referralRecord(ReferralID($0), at: now, db) }
        }
    }

    private static func referralRecord(_ id: ReferralID, at now: Date, _ db: Database) throws -> ReferralRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM referral WHERE id = ?", arguments: [id.rawValue]) else { return nil }
        let referral = try Referral(row: row)
        let started = try Date.fetchOne(db, sql: "SELECT started_at FROM contract WHERE referral_id = ?", arguments: [id.rawValue])
        let window = try Int.fetchOne(
            db, sql: "SELECT attribution_window_days FROM plan_version WHERE plan_id = ? ORDER BY version LIMIT 1", arguments: [referral.planID.rawValue])
        // Dates are stored to the millisecond (rounded); a step recorded "now" must count as done now.
        let asOf = now.addingTimeInterval(0.001)
        return ReferralRecord(
            referral: referral, status: referral.status(on: asOf, contractStartedAt: started, windowDays: window ?? PlanVersion.defaultAttributionWindowDays),
            flags: try StoreCoding.value([String].self, from: row["flags"]))
    }

    /// Records the qualified meeting (which may earn a flat reward) and recomputes.
    public func qualifyReferral(_ id: ReferralID, on date: Date, at now: Date) async throws -> ReferralRecord {
        try await updateReferral(id, "referral.qualified", detail: ["on": date.formatted(.iso8601)], at: now) { db in
            try db.execute(sql: "UPDATE referral SET qualified_at = ? WHERE id = ?", arguments: [date, id.rawValue])
        }
    }

    /// Marks the prospect lost: from `date` on the referral claims nothing.
    public func loseReferral(_ id: ReferralID, on date: Date, reason: String, at now: Date) async throws -> ReferralRecord {
        try await updateReferral(id, "referral.lost", detail: ["on": date.formatted(.iso8601), "reason": reason], at: now) { db in
            try db.execute(sql: "UPDATE referral SET lost_at = ? WHERE id = ?", arguments: [date, id.rawValue])
        }
    }

    /// An admin's attribution decision: the customer belongs to this referral, whatever matching
    /// says. Audited with the reason; the ledger is recomputed from the stored events.
    public func overrideAttribution(customerKey: String, to referral: ReferralID, reason: String, at now: Date) async throws -> ReferralRecord {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw StoreError(.refused, "an override needs a reason") }
        return try await updateReferral(referral, "attribution.overridden", detail: ["customer": customerKey, "reason": reason], at: now) { db in
            try db.execute(
                sql: "INSERT INTO attribution_override (customer_key, referral_id, reason, created_at) VALUES (?, ?, ?, ?)",
                arguments: [customerKey, referral.rawValue, reason, now])
        }
    }

    private func updateReferral(
        _ id: ReferralID, _ action: String, detail: [String: String], at now: Date, _ change: @escaping @Sendable (Database) throws -> Void
    ) async throws -> ReferralRecord {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM referral WHERE id = ?)", arguments: [id.rawValue]) == true else {
                throw StoreError(.notFound, "referral \(id) does not exist")
            }
            try change(db)
            try Self.audit(action, subject: "referral:\(id)", detail: detail, at: now, db)
            try Self.reproject(at: now, db)
            return try Self.referralRecord(id, at: now, db)!
        }
    }

    // MARK: Settings

    public func programSettings() async throws -> ProgramSettings {
        try await pool.read { db in try Self.settings(db) }
    }

    public func setProgramSettings(_ settings: ProgramSettings, at now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO program_settings (id, settings) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET settings = excluded.settings",
                arguments: [try StoreCoding.text(settings)])
            try Self.audit("settings.changed", subject: "program", detail: ["settings": try StoreCoding.text(settings)], at: now, db)
            try Self.reproject(at: now, db)
        }
    }

    // MARK: Audit

    static func audit(_ action: String, subject: String, detail: [String: String], at now: Date, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO audit_log (at, action, subject, detail) VALUES (?, ?, ?, ?)",
            arguments: [now, action, subject, try StoreCoding.text(detail)])
    }

    /// The audit trail, newest first.
    public func auditLog(limit: Int = 200) async throws -> [AuditEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", arguments: [limit]).map { row in
                AuditEntry(
                    at: row["at"], action: row["action"], subject: row["subject"],
                    detail: try StoreCoding.value([String: String].self, from: row["detail"]))
            }
        }
    }
}

/// One admin action, as the audit trail keeps it.
public struct AuditEntry: Sendable, Hashable, Codable {
    public var at: Date
    public var action: String
    public var subject: String
    public var detail: [String: String]
}

/// The plan-version terms kept beside the rules in one JSON column.
private struct VersionTerms: Codable {
    var tiers: [PerformanceTier]
    var capPerReferral: Money?
    var capPerPartnerPerYear: Money?
    var excludeOneTimeLines: Bool

    init(_ version: PlanVersion) {
        tiers = version.tiers
        capPerReferral = version.capPerReferral
        capPerPartnerPerYear = version.capPerPartnerPerYear
        excludeOneTimeLines = version.excludeOneTimeLines
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tiers = try container.decodeIfPresent([PerformanceTier].self, forKey: .tiers) ?? []
        capPerReferral = try container.decodeIfPresent(Money.self, forKey: .capPerReferral)
        capPerPartnerPerYear = try container.decodeIfPresent(Money.self, forKey: .capPerPartnerPerYear)
        excludeOneTimeLines = try container.decodeIfPresent(Bool.self, forKey: .excludeOneTimeLines) ?? true
    }
}

extension Partner {
    init(row: Row) throws {
        guard let kind = Partner.Kind(rawValue: row["kind"]), let payout = Partner.PayoutForm(rawValue: row["payout_form"]) else {
            throw DatabaseError(message: "partner \(row["id"] as Int64? ?? 0) has an unknown kind or payout form")
        }
        self.init(
            id: PartnerID(row["id"]), name: row["name"], kind: kind, specialty: (row["specialty"] as String?).flatMap(Partner.Specialty.init),
            payoutForm: payout, email: row["email"], domains: try StoreCoding.value([String].self, from: row["domains"]),
            vendorIDs: try StoreCoding.value([String: String].self, from: row["vendor_ids"]), createdAt: row["created_at"])
    }
}

extension PlanVersion {
    init(row: Row) throws {
        let terms = try StoreCoding.value(VersionTerms.self, from: row["terms"])
        self.init(
            planID: PlanID(row["plan_id"]),
            version: row["version"],
            effectiveFrom: row["effective_from"],
            rules: try StoreCoding.value([CommissionRule].self, from: row["rules"]),
            holdDays: row["hold_days"],
            attributionWindowDays: row["attribution_window_days"],
            tiers: terms.tiers, capPerReferral: terms.capPerReferral, capPerPartnerPerYear: terms.capPerPartnerPerYear,
            excludeOneTimeLines: terms.excludeOneTimeLines)
    }
}

extension Referral {
    init(row: Row) throws {
        self.init(
            id: ReferralID(row["id"]),
            partnerID: PartnerID(row["partner_id"]),
            planID: PlanID(row["plan_id"]),
            prospectName: row["prospect_name"],
            domains: try StoreCoding.value([String].self, from: row["domains"]),
            contactEmails: try StoreCoding.value([String].self, from: row["contact_emails"]),
            vendorIDs: try StoreCoding.value([String: String].self, from: row["vendor_ids"]),
            referralCode: row["referral_code"],
            introducedAt: row["introduced_at"],
            qualifiedAt: row["qualified_at"],
            lostAt: row["lost_at"],
            claimShare: row["claim_share"])
    }
}
