import Foundation
import GRDB
import GatewayCore
import GatewayRepositories

/// The partner portal's links, sessions and submissions in the SQLite file.
struct SQLitePortalRepository: PortalRepository {
    let writer: any DatabaseWriter
    let outbound: any OutboundEventRules

    // MARK: Links and sessions

    func addLink(partner: PartnerID, tokenHash: String, expiresAt: Date, at now: Date) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO portal_link (token_hash, partner_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [tokenHash, partner.rawValue, now, expiresAt])
            try LedgerSQL.audit(
                "portal.link_issued", subject: "partner:\(partner)", detail: ["expires_at": expiresAt.formatted(.iso8601)], at: now, db)
        }
    }

    func redeemLink(tokenHash: String, at now: Date) async throws -> PortalLinkRedemption {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM portal_link WHERE token_hash = ?", arguments: [tokenHash]) else {
                return .unknown
            }
            if let used: Date = row["used_at"] { return .used(used) }
            let expires: Date = row["expires_at"]
            guard expires > now else { return .expired(expires) }
            let partner = PartnerID(row["partner_id"])
            try db.execute(sql: "UPDATE portal_link SET used_at = ? WHERE token_hash = ?", arguments: [now, tokenHash])
            try LedgerSQL.audit("portal.signed_in", subject: "partner:\(partner)", detail: [:], at: now, db)
            return .signedIn(partner)
        }
    }

    func addSession(_ session: PortalSessionRecord, at now: Date) async throws {
        try await writer.write { db in
            // Expired sessions go when a new one comes, so the table holds only live ones.
            try db.execute(sql: "DELETE FROM portal_session WHERE expires_at <= ?", arguments: [now])
            try db.execute(
                sql: "INSERT INTO portal_session (id_hash, partner_id, csrf, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [session.idHash, session.partnerID.rawValue, session.csrf, session.expiresAt])
        }
    }

    func session(idHash: String, at now: Date, extendedTo: Date) async throws -> PortalSessionRecord? {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM portal_session WHERE id_hash = ? AND expires_at > ?", arguments: [idHash, now])
            else { return nil }
            try db.execute(sql: "UPDATE portal_session SET expires_at = ? WHERE id_hash = ?", arguments: [extendedTo, idHash])
            return PortalSessionRecord(idHash: idHash, partnerID: PartnerID(row["partner_id"]), csrf: row["csrf"], expiresAt: extendedTo)
        }
    }

    func endSession(idHash: String) async throws {
        try await writer.write { db in try db.execute(sql: "DELETE FROM portal_session WHERE id_hash = ?", arguments: [idHash]) }
    }

    // MARK: Submissions

    func addSubmission(_ submission: ReferralSubmission, at now: Date) async throws -> ReferralSubmission {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO referral_submission (partner_id, prospect_name, domain, contact_name, contact_email, note, submitted_at, status)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 'submitted')
                    """,
                arguments: [
                    submission.partnerID.rawValue, submission.prospectName, submission.domain, submission.contactName, submission.contactEmail,
                    submission.note, submission.submittedAt,
                ])
            let id = SubmissionID(db.lastInsertedRowID)
            try LedgerSQL.audit(
                "submission.created", subject: "submission:\(id)", detail: ["partner": "\(submission.partnerID)", "prospect": submission.prospectName],
                at: now, db)
            let stored = try Self.submission(id, db)!
            try OutboxSQL.announce([.referralSubmitted(stored)], outbound, at: now, db)
            return stored
        }
    }

    func submissions(of partner: PartnerID?) async throws -> [ReferralSubmission] {
        try await writer.read { db in
            let rows =
                if let partner {
                    try Row.fetchAll(db, sql: "SELECT * FROM referral_submission WHERE partner_id = ? ORDER BY id DESC", arguments: [partner.rawValue])
                } else {
                    try Row.fetchAll(db, sql: "SELECT * FROM referral_submission ORDER BY id DESC")
                }
            return rows.map(ReferralSubmission.init(row:))
        }
    }

    func submission(_ id: SubmissionID) async throws -> ReferralSubmission? {
        try await writer.read { db in try Self.submission(id, db) }
    }

    func acceptSubmission(_ id: SubmissionID, as referral: Referral, flags: [String], rules: any LedgerRules, at now: Date) async throws
        -> ReferralSubmission
    {
        try await writer.write { db in
            try Self.waiting(id, db)
            let referralID = try SQLiteProgramRepository.insertReferral(referral, flags: flags, at: now, db)
            try db.execute(
                sql: "UPDATE referral_submission SET status = 'accepted', decided_at = ?, referral_id = ? WHERE id = ?",
                arguments: [now, referralID.rawValue, id.rawValue])
            try LedgerSQL.audit("submission.accepted", subject: "submission:\(id)", detail: ["referral": "\(referralID)"], at: now, db)
            try LedgerSQL.recompute(rules, outbound: outbound, at: now, db)
            return try Self.submission(id, db)!
        }
    }

    func declineSubmission(_ id: SubmissionID, reason: String, at now: Date) async throws -> ReferralSubmission {
        try await writer.write { db in
            try Self.waiting(id, db)
            try db.execute(
                sql: "UPDATE referral_submission SET status = 'declined', decided_at = ?, decline_reason = ? WHERE id = ?",
                arguments: [now, reason, id.rawValue])
            try LedgerSQL.audit("submission.declined", subject: "submission:\(id)", detail: ["reason": reason], at: now, db)
            return try Self.submission(id, db)!
        }
    }

    /// Checked inside the write, so two admins deciding at once cannot both succeed.
    private static func waiting(_ id: SubmissionID, _ db: Database) throws {
        guard let submission = try submission(id, db) else { throw GatewayError.notFound("submission \(id) does not exist") }
        guard submission.status == .submitted else {
            throw GatewayError.conflict("submission \(id) was already \(submission.status.rawValue)")
        }
    }

    private static func submission(_ id: SubmissionID, _ db: Database) throws -> ReferralSubmission? {
        try Row.fetchOne(db, sql: "SELECT * FROM referral_submission WHERE id = ?", arguments: [id.rawValue]).map(ReferralSubmission.init(row:))
    }
}

extension ReferralSubmission {
    init(row: Row) {
        self.init(
            id: SubmissionID(row["id"]), partnerID: PartnerID(row["partner_id"]), prospectName: row["prospect_name"], domain: row["domain"],
            contactName: row["contact_name"], contactEmail: row["contact_email"], note: row["note"], submittedAt: row["submitted_at"],
            status: Status(rawValue: row["status"]) ?? .submitted, decidedAt: row["decided_at"], declineReason: row["decline_reason"],
            referralID: (row["referral_id"] as Int64?).map(ReferralID.init))
    }
}
