import Foundation
import GRDB
import GatewayCore
import GatewayRepositories

/// The program's tables in the SQLite file.
struct SQLiteProgramRepository: ProgramRepository {
    let writer: any DatabaseWriter
    let outbound: any OutboundEventRules

    // MARK: Partners

    func addPartner(_ partner: Partner, at now: Date) async throws -> Partner {
        try await writer.write { db in try Self.insertPartner(partner, at: now, db) }
    }

    private static func insertPartner(_ partner: Partner, at now: Date, _ db: Database) throws -> Partner {
        try db.execute(
            sql: "INSERT INTO partner (name, kind, specialty, payout_form, email, domains, vendor_ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                partner.name, partner.kind.rawValue, partner.specialty?.rawValue, partner.payoutForm.rawValue, partner.email,
                try ColumnJSON.text(partner.domains), try ColumnJSON.text(partner.vendorIDs), now,
            ])
        var stored = partner
        stored.id = PartnerID(db.lastInsertedRowID)
        stored.createdAt = now
        try LedgerSQL.audit("partner.created", subject: "partner:\(stored.id)", detail: ["name": partner.name], at: now, db)
        return stored
    }

    private static func updatePartnerRow(_ partner: Partner, at now: Date, _ db: Database) throws {
        try db.execute(
            sql: """
                UPDATE partner SET name = ?, kind = ?, specialty = ?, payout_form = ?, email = ?, domains = ?, vendor_ids = ?, deactivated_at = ?
                WHERE id = ?
                """,
            arguments: [
                partner.name, partner.kind.rawValue, partner.specialty?.rawValue, partner.payoutForm.rawValue, partner.email,
                try ColumnJSON.text(partner.domains), try ColumnJSON.text(partner.vendorIDs), partner.deactivatedAt, partner.id.rawValue,
            ])
        try LedgerSQL.audit(
            "partner.changed", subject: "partner:\(partner.id)",
            detail: ["name": partner.name, "active": partner.isActive ? "yes" : "no"], at: now, db)
    }

    func partners() async throws -> [Partner] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM partner ORDER BY id").map(Partner.init(row:)) }
    }

    func partner(_ id: PartnerID) async throws -> Partner? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM partner WHERE id = ?", arguments: [id.rawValue]).map(Partner.init(row:))
        }
    }

    // MARK: Plans

    func addPlan(name: String, terms: PlanTerms, at now: Date) async throws -> CommissionPlan {
        try await writer.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM plan WHERE name = ?)", arguments: [name]) == true {
                throw GatewayError.conflict("a plan named \(name) exists")
            }
            try db.execute(sql: "INSERT INTO plan (name) VALUES (?)", arguments: [name])
            let id = PlanID(db.lastInsertedRowID)
            let version = try Self.insertVersion(PlanVersion(planID: id, version: 1, terms: terms), db)
            try LedgerSQL.audit("plan.created", subject: "plan:\(id)", detail: ["name": name], at: now, db)
            return CommissionPlan(id: id, name: name, versions: [version])
        }
    }

    func addPlanVersion(_ plan: PlanID, terms: PlanTerms, rules: any LedgerRules, at now: Date) async throws -> PlanVersion {
        try await writer.write { db in
            guard let latest = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM plan_version WHERE plan_id = ?", arguments: [plan.rawValue]) else {
                throw GatewayError.notFound("plan \(plan) does not exist")
            }
            let version = try Self.insertVersion(PlanVersion(planID: plan, version: latest + 1, terms: terms), db)
            try LedgerSQL.audit("plan.version_added", subject: "plan:\(plan)", detail: ["version": "\(version.version)"], at: now, db)
            try LedgerSQL.recompute(rules, outbound: outbound, at: now, db)
            return version
        }
    }

    private static func insertVersion(_ version: PlanVersion, _ db: Database) throws -> PlanVersion {
        try db.execute(
            sql: """
                INSERT INTO plan_version (plan_id, version, effective_from, terms) VALUES (?, ?, ?, ?)
                """,
            arguments: [version.planID.rawValue, version.version, version.effectiveFrom, try ColumnJSON.text(version.terms)])
        return version
    }

    func plans() async throws -> [CommissionPlan] {
        try await writer.read { db in
            let versions = try Row.fetchAll(db, sql: "SELECT * FROM plan_version ORDER BY plan_id, version").map(PlanVersion.init(row:))
            let byPlan = Dictionary(grouping: versions, by: \.planID)
            return try Row.fetchAll(db, sql: "SELECT * FROM plan ORDER BY id").map { row in
                let id = PlanID(row["id"])
                return CommissionPlan(id: id, name: row["name"], versions: byPlan[id] ?? [])
            }
        }
    }

    func plan(_ id: PlanID) async throws -> CommissionPlan? {
        try await writer.read { db in
            guard let name = try String.fetchOne(db, sql: "SELECT name FROM plan WHERE id = ?", arguments: [id.rawValue]) else { return nil }
            let versions = try Row.fetchAll(db, sql: "SELECT * FROM plan_version WHERE plan_id = ? ORDER BY version", arguments: [id.rawValue])
                .map(PlanVersion.init(row:))
            return CommissionPlan(id: id, name: name, versions: versions)
        }
    }

    // MARK: Referrals

    func addReferral(_ referral: Referral, flags: [String], rules: any LedgerRules, at now: Date) async throws -> StoredReferral {
        try await writer.write { db in
            let id = try Self.insertReferral(referral, flags: flags, at: now, db)
            try LedgerSQL.recompute(rules, outbound: outbound, at: now, db)
            return try Self.storedReferral(id, db)!
        }
    }

    static func insertReferral(_ referral: Referral, flags: [String], at now: Date, _ db: Database) throws -> ReferralID {
        try db.execute(
            sql: """
                INSERT INTO referral (partner_id, plan_id, prospect_name, domains, contact_emails, vendor_ids, referral_code,
                    introduced_at, status, claim_share, flags)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'introduced', ?, ?)
                """,
            arguments: [
                referral.partnerID.rawValue, referral.planID.rawValue, referral.prospectName, try ColumnJSON.text(referral.domains),
                try ColumnJSON.text(referral.contactEmails), try ColumnJSON.text(referral.vendorIDs), referral.referralCode,
                referral.introducedAt, referral.claimShare, try ColumnJSON.text(flags),
            ])
        let id = ReferralID(db.lastInsertedRowID)
        for key in referral.matchKeys.map(\.storageKey) {
            try db.execute(sql: "INSERT OR IGNORE INTO referral_key (key, referral_id) VALUES (?, ?)", arguments: [key, id.rawValue])
        }
        try LedgerSQL.audit(
            "referral.created", subject: "referral:\(id)",
            detail: ["partner": "\(referral.partnerID)", "prospect": referral.prospectName, "flags": flags.joined(separator: "; ")], at: now, db)
        return id
    }

    func referrals() async throws -> [StoredReferral] {
        try await writer.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM referral ORDER BY id").compactMap { try Self.storedReferral(ReferralID($0), db) }
        }
    }

    func referral(_ id: ReferralID) async throws -> StoredReferral? {
        try await writer.read { db in try Self.storedReferral(id, db) }
    }

    private static func storedReferral(_ id: ReferralID, _ db: Database) throws -> StoredReferral? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM referral WHERE id = ?", arguments: [id.rawValue]) else { return nil }
        return StoredReferral(
            referral: try Referral(row: row), flags: try ColumnJSON.value([String].self, from: row["flags"]),
            contractStartedAt: try Date.fetchOne(db, sql: "SELECT started_at FROM contract WHERE referral_id = ?", arguments: [id.rawValue]))
    }

    func claims(on keys: [String], otherThan partner: PartnerID) async throws -> [ReferralID] {
        guard !keys.isEmpty else { return [] }
        return try await writer.read { db in
            try Int64.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT r.id FROM referral_key k JOIN referral r ON r.id = k.referral_id
                    WHERE k.key IN (\(Self.marks(keys.count))) AND r.partner_id != ? ORDER BY r.id
                    """,
                arguments: StatementArguments(keys + [partner.rawValue])
            ).map(ReferralID.init)
        }
    }

    func firstClientEvent(on keys: [String], before date: Date) async throws -> Date? {
        guard !keys.isEmpty else { return nil }
        return try await writer.read { db in
            try Date.fetchOne(
                db,
                sql: """
                    SELECT MIN(e.occurred_at) FROM business_event_key k
                    JOIN business_event e ON e.delivery_id = k.delivery_id AND e.position = k.position
                    WHERE k.key IN (\(Self.marks(keys.count))) AND e.kind IN ('invoice_paid', 'agreement_created', 'client_signed')
                        AND e.occurred_at < ?
                    """,
                arguments: StatementArguments(keys + [date]))
        }
    }

    func setQualified(_ id: ReferralID, on date: Date, rules: any LedgerRules, at now: Date) async throws {
        try await updateReferral(id, rules: rules, at: now) { db in try Self.record(.qualified(on: date), of: id, outbound: outbound, at: now, db) }
    }

    func setLost(_ id: ReferralID, on date: Date, reason: String, rules: any LedgerRules, at now: Date) async throws {
        try await updateReferral(id, rules: rules, at: now) { db in try Self.record(.lost(on: date, reason: reason), of: id, outbound: outbound, at: now, db) }
    }

    private static func record(
        _ status: ProgramChanges.StatusChange, of id: ReferralID, outbound: any OutboundEventRules, at now: Date, _ db: Database
    ) throws {
        switch status {
        case .qualified(let date):
            try db.execute(sql: "UPDATE referral SET qualified_at = ? WHERE id = ?", arguments: [date, id.rawValue])
            try LedgerSQL.audit("referral.qualified", subject: "referral:\(id)", detail: ["on": date.formatted(.iso8601)], at: now, db)
        case .lost(let date, let reason):
            try db.execute(sql: "UPDATE referral SET lost_at = ?, lost_reason = ? WHERE id = ?", arguments: [date, reason.isEmpty ? nil : reason, id.rawValue])
            try LedgerSQL.audit(
                "referral.lost", subject: "referral:\(id)", detail: ["on": date.formatted(.iso8601), "reason": reason], at: now, db)
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM referral WHERE id = ?", arguments: [id.rawValue]) {
                try OutboxSQL.announce([.referralLost(try Referral(row: row))], outbound, at: now, db)
            }
        }
    }

    func addOverride(customerKey: String, to referral: ReferralID, reason: String, rules: any LedgerRules, at now: Date) async throws {
        try await updateReferral(referral, rules: rules, at: now) { db in
            try db.execute(
                sql: "INSERT INTO attribution_override (customer_key, referral_id, reason, created_at) VALUES (?, ?, ?, ?)",
                arguments: [customerKey, referral.rawValue, reason, now])
            try LedgerSQL.audit(
                "attribution.overridden", subject: "referral:\(referral)", detail: ["customer": customerKey, "reason": reason], at: now, db)
        }
    }

    /// One change to an existing referral (audited by `change`), then the recomputation.
    private func updateReferral(
        _ id: ReferralID, rules: any LedgerRules, at now: Date, _ change: @escaping @Sendable (Database) throws -> Void
    ) async throws {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM referral WHERE id = ?)", arguments: [id.rawValue]) == true else {
                throw GatewayError.notFound("referral \(id) does not exist")
            }
            try change(db)
            try LedgerSQL.recompute(rules, outbound: outbound, at: now, db)
        }
    }

    // MARK: Settings

    func settings() async throws -> ProgramSettings {
        try await writer.read { db in try LedgerSQL.settings(db) }
    }

    func saveSettings(_ settings: ProgramSettings, rules: any LedgerRules, at now: Date) async throws {
        try await writer.write { db in
            let text = try ColumnJSON.text(settings)
            try db.execute(
                sql: "INSERT INTO program_settings (id, settings) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET settings = excluded.settings",
                arguments: [text])
            try LedgerSQL.audit("settings.changed", subject: "program", detail: ["settings": text], at: now, db)
            try LedgerSQL.recompute(rules, outbound: outbound, at: now, db)
        }
    }

    // MARK: Give and get, reviews

    func addOutboundReferral(_ referral: OutboundReferral, at now: Date) async throws -> OutboundReferral {
        try await writer.write { db in try Self.insertOutbound(referral, at: now, db) }
    }

    private static func insertOutbound(_ referral: OutboundReferral, at now: Date, _ db: Database) throws -> OutboundReferral {
        try db.execute(
            sql: "INSERT INTO outbound_referral (partner_id, client_name, referred_at, monthly_value, note) VALUES (?, ?, ?, ?, ?)",
            arguments: [
                referral.partnerID.rawValue, referral.clientName, referral.referredAt, try referral.monthlyValue.map(ColumnJSON.text),
                referral.note,
            ])
        var stored = referral
        stored.id = db.lastInsertedRowID
        try LedgerSQL.audit("outbound.recorded", subject: "partner:\(referral.partnerID)", detail: ["client": referral.clientName], at: now, db)
        return stored
    }

    func outboundReferrals() async throws -> [OutboundReferral] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM outbound_referral ORDER BY id").map { row in
                OutboundReferral(
                    id: row["id"], partnerID: PartnerID(row["partner_id"]), clientName: row["client_name"], referredAt: row["referred_at"],
                    monthlyValue: try (row["monthly_value"] as String?).map { try ColumnJSON.value(Money.self, from: $0) }, note: row["note"])
            }
        }
    }

    private static func updateOutboundRow(_ referral: OutboundReferral, at now: Date, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE outbound_referral SET monthly_value = ?, note = ? WHERE id = ?",
            arguments: [try referral.monthlyValue.map(ColumnJSON.text), referral.note, referral.id])
        try LedgerSQL.audit("outbound.changed", subject: "partner:\(referral.partnerID)", detail: ["client": referral.clientName], at: now, db)
    }

    private static func updateReviewRow(_ review: ClientReview, at now: Date, _ db: Database) throws {
        try db.execute(sql: "UPDATE client_review SET outcome = ?, note = ? WHERE id = ?", arguments: [review.outcome.rawValue, review.note, review.id])
        try LedgerSQL.audit("client_review.changed", subject: "client:\(review.client)", detail: ["outcome": review.outcome.rawValue], at: now, db)
    }

    func addClientReview(_ review: ClientReview, at now: Date) async throws -> ClientReview {
        try await writer.write { db in try Self.insertReview(review, at: now, db) }
    }

    private static func insertReview(_ review: ClientReview, at now: Date, _ db: Database) throws -> ClientReview {
        try db.execute(
            sql: "INSERT INTO client_review (client, reviewed_on, outcome, note, created_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [review.client, review.reviewedOn, review.outcome.rawValue, review.note, now])
        var stored = review
        stored.id = db.lastInsertedRowID
        try LedgerSQL.audit("client_review.recorded", subject: "client:\(review.client)", detail: ["outcome": review.outcome.rawValue], at: now, db)
        return stored
    }

    // MARK: Changes together

    func apply(_ changes: ProgramChanges, rules: any LedgerRules, at now: Date) async throws {
        try await writer.write { db in
            for partner in changes.newPartners { _ = try Self.insertPartner(partner, at: now, db) }
            for partner in changes.changedPartners { try Self.updatePartnerRow(partner, at: now, db) }
            for new in changes.newReferrals {
                let id = try Self.insertReferral(new.referral, flags: new.flags, at: now, db)
                if let status = new.status { try Self.record(status, of: id, outbound: outbound, at: now, db) }
            }
            for (id, status) in changes.statusChanges { try Self.record(status, of: id, outbound: outbound, at: now, db) }
            for referral in changes.newOutboundReferrals { _ = try Self.insertOutbound(referral, at: now, db) }
            for referral in changes.changedOutboundReferrals { try Self.updateOutboundRow(referral, at: now, db) }
            for review in changes.newClientReviews { _ = try Self.insertReview(review, at: now, db) }
            for review in changes.changedClientReviews { try Self.updateReviewRow(review, at: now, db) }
            // Partners and referrals are what the ledger reads; one recomputation covers them all.
            if !(changes.newPartners.isEmpty && changes.changedPartners.isEmpty && changes.newReferrals.isEmpty && changes.statusChanges.isEmpty) {
                try LedgerSQL.recompute(rules, outbound: outbound, at: now, db)
            }
        }
    }

    func clientReviews() async throws -> [ClientReview] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM client_review ORDER BY reviewed_on, id").map { row in
                guard let outcome = ClientReview.Outcome(rawValue: row["outcome"]) else {
                    throw DatabaseError(message: "client review \(row["id"] as Int64? ?? 0) has an unknown outcome")
                }
                return ClientReview(id: row["id"], client: row["client"], reviewedOn: row["reviewed_on"], outcome: outcome, note: row["note"])
            }
        }
    }

    // MARK: Audit

    func auditLog(limit: Int) async throws -> [AuditEntry] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", arguments: [limit]).map { row in
                AuditEntry(
                    at: row["at"], action: row["action"], subject: row["subject"],
                    detail: try ColumnJSON.value([String: String].self, from: row["detail"]))
            }
        }
    }

    private static func marks(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }
}
