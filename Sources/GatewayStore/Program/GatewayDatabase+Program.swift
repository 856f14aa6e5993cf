public import Foundation
import GRDB
public import GatewayCore

extension GatewayDatabase {
    // MARK: Partners

    public func createPartner(_ new: NewPartner, at now: Date) async throws -> Partner {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO partner (name, kind, payout_form, email, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [new.name, new.kind.rawValue, new.payoutForm.rawValue, new.email, now])
            return Partner(
                id: PartnerID(db.lastInsertedRowID), name: new.name, kind: new.kind, payoutForm: new.payoutForm, email: new.email,
                createdAt: now)
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
    public func createPlan(_ new: NewPlan) async throws -> CommissionPlan {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM plan WHERE name = ?)", arguments: [new.name]) == true {
                throw StoreError(.conflict, "a plan named \(new.name) exists")
            }
            try db.execute(sql: "INSERT INTO plan (name) VALUES (?)", arguments: [new.name])
            let id = PlanID(db.lastInsertedRowID)
            let version = PlanVersion(
                planID: id, version: 1, effectiveFrom: new.effectiveFrom, rules: new.rules, holdDays: new.holdDays,
                attributionWindowDays: new.attributionWindowDays)
            try db.execute(
                sql: """
                    INSERT INTO plan_version (plan_id, version, effective_from, rules, hold_days, attribution_window_days)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    id.rawValue, version.version, version.effectiveFrom, try StoreCoding.text(version.rules), version.holdDays,
                    version.attributionWindowDays,
                ])
            return CommissionPlan(id: id, name: new.name, versions: [version])
        }
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

    /// Records a referral and the keys customers will be matched to it by.
    ///
    /// - Throws: `StoreError.notFound` for an unknown partner or plan.
    public func createReferral(_ new: NewReferral) async throws -> Referral {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM partner WHERE id = ?)", arguments: [new.partnerID.rawValue]) == true
            else { throw StoreError(.notFound, "partner \(new.partnerID) does not exist") }
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM plan WHERE id = ?)", arguments: [new.planID.rawValue]) == true
            else { throw StoreError(.notFound, "plan \(new.planID) does not exist") }
            let draft = Referral(
                id: ReferralID(0), partnerID: new.partnerID, planID: new.planID, prospectName: new.prospectName,
                domains: new.domains, contactEmails: new.contactEmails, vendorIDs: new.vendorIDs, referralCode: new.referralCode,
                introducedAt: new.introducedAt)
            try db.execute(
                sql: """
                    INSERT INTO referral (partner_id, plan_id, prospect_name, domains, contact_emails, vendor_ids, referral_code,
                        introduced_at, status)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    draft.partnerID.rawValue, draft.planID.rawValue, draft.prospectName, try StoreCoding.text(draft.domains),
                    try StoreCoding.text(draft.contactEmails), try StoreCoding.text(draft.vendorIDs), draft.referralCode,
                    draft.introducedAt, draft.status.rawValue,
                ])
            var referral = draft
            referral.id = ReferralID(db.lastInsertedRowID)
            for key in referral.matchKeys {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO referral_key (key, referral_id) VALUES (?, ?)", arguments: [key.storageKey, referral.id.rawValue])
            }
            return referral
        }
    }

    public func referrals() async throws -> [Referral] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM referral ORDER BY id").map(Referral.init(row:)) }
    }
}

extension Partner {
    init(row: Row) throws {
        guard let kind = Partner.Kind(rawValue: row["kind"]), let payout = Partner.PayoutForm(rawValue: row["payout_form"]) else {
            throw DatabaseError(message: "partner \(row["id"] as Int64? ?? 0) has an unknown kind or payout form")
        }
        self.init(id: PartnerID(row["id"]), name: row["name"], kind: kind, payoutForm: payout, email: row["email"], createdAt: row["created_at"])
    }
}

extension PlanVersion {
    init(row: Row) throws {
        self.init(
            planID: PlanID(row["plan_id"]),
            version: row["version"],
            effectiveFrom: row["effective_from"],
            rules: try StoreCoding.value([CommissionRule].self, from: row["rules"]),
            holdDays: row["hold_days"],
            attributionWindowDays: row["attribution_window_days"])
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
            status: Referral.Status(rawValue: row["status"]) ?? .introduced)
    }
}
