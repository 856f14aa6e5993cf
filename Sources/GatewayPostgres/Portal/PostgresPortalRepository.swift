public import Foundation
public import GatewayCore
public import GatewayRepositories
import Logging
import PostgresNIO

/// The partner portal's links, sessions and submissions in PostgreSQL: a link issued through one
/// instance signs in on another, and a session lives as long on every instance.
///
/// Each decision is one conditional `UPDATE … RETURNING`, so when two instances act at once (a
/// link opened twice, two admins deciding one submission) exactly one of them succeeds.
public struct PostgresPortalRepository: PortalRepository {
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

    // MARK: Links and sessions

    public func addLink(partner: PartnerID, tokenHash: String, expiresAt: Date, at now: Date) async throws {
        try await database.transaction { connection in
            try await connection.execute(
                "INSERT INTO portal_link (token_hash, partner_id, created_at, expires_at) VALUES (\(tokenHash), \(partner.rawValue), \(now), \(expiresAt))",
                logger: logger)
            try await connection.audit(
                "portal.link_issued", subject: "partner:\(partner)", detail: ["expires_at": expiresAt.formatted(.iso8601)], at: now, logger: logger)
        }
    }

    public func redeemLink(tokenHash: String, at now: Date) async throws -> PortalLinkRedemption {
        try await database.transaction { connection in
            let spent = try await connection.execute(
                """
                UPDATE portal_link SET used_at = \(now)
                WHERE token_hash = \(tokenHash) AND used_at IS NULL AND expires_at > \(now)
                RETURNING partner_id
                """, logger: logger)
            if let row = spent.first {
                let partner = PartnerID(try row.decode(Int64.self))
                try await connection.audit("portal.signed_in", subject: "partner:\(partner)", detail: [:], at: now, logger: logger)
                return .signedIn(partner)
            }
            // Not spent now: say why.
            guard let row = try await connection.execute(
                "SELECT used_at, expires_at FROM portal_link WHERE token_hash = \(tokenHash)", logger: logger
            ).first else { return .unknown }
            let (used, expires) = try row.decode((Date?, Date).self)
            if let used { return .used(used) }
            return .expired(expires)
        }
    }

    public func addSession(_ session: PortalSessionRecord, at now: Date) async throws {
        try await database.transaction { connection in
            // Expired sessions go when a new one comes, so the table holds only live ones.
            try await connection.execute("DELETE FROM portal_session WHERE expires_at <= \(now)", logger: logger)
            try await connection.execute(
                """
                INSERT INTO portal_session (id_hash, partner_id, csrf, expires_at)
                VALUES (\(session.idHash), \(session.partnerID.rawValue), \(session.csrf), \(session.expiresAt))
                """, logger: logger)
        }
    }

    public func session(idHash: String, at now: Date, extendedTo: Date) async throws -> PortalSessionRecord? {
        try await database.rows(
            """
            UPDATE portal_session SET expires_at = \(extendedTo) WHERE id_hash = \(idHash) AND expires_at > \(now)
            RETURNING partner_id, csrf
            """
        ).first.map { row in
            let (partner, csrf) = try row.decode((Int64, String).self)
            return PortalSessionRecord(idHash: idHash, partnerID: PartnerID(partner), csrf: csrf, expiresAt: extendedTo)
        }
    }

    public func endSession(idHash: String) async throws {
        try await database.execute("DELETE FROM portal_session WHERE id_hash = \(idHash)")
    }

    // MARK: Submissions

    public func addSubmission(_ submission: ReferralSubmission, at now: Date) async throws -> ReferralSubmission {
        try await database.transaction { connection in
            let rows = try await connection.execute(
                """
                INSERT INTO referral_submission (partner_id, prospect_name, domain, contact_name, contact_email, note, submitted_at, status)
                VALUES (\(submission.partnerID.rawValue), \(submission.prospectName), \(submission.domain), \(submission.contactName),
                    \(submission.contactEmail), \(submission.note), \(submission.submittedAt), 'submitted')
                RETURNING *
                """, logger: logger)
            guard let row = rows.first else { throw GatewayError.invalid("the submission was not stored") }
            let stored = try ReferralSubmission(postgres: row)
            try await connection.audit(
                "submission.created", subject: "submission:\(stored.id)",
                detail: ["partner": "\(submission.partnerID)", "prospect": submission.prospectName], at: now, logger: logger)
            try await PostgresOutbox.announce([.referralSubmitted(stored)], outbound, at: now, connection, logger: logger)
            return stored
        }
    }

    public func submissions(of partner: PartnerID?) async throws -> [ReferralSubmission] {
        try await database.rows(
            "SELECT * FROM referral_submission WHERE \(partner?.rawValue)::bigint IS NULL OR partner_id = \(partner?.rawValue) ORDER BY id DESC"
        ).map(ReferralSubmission.init(postgres:))
    }

    public func submission(_ id: SubmissionID) async throws -> ReferralSubmission? {
        try await database.rows("SELECT * FROM referral_submission WHERE id = \(id.rawValue)").first.map(ReferralSubmission.init(postgres:))
    }

    /// Records `referral` for a submission still waiting and marks it accepted, with the ledger's
    /// recomputation, in one transaction. The submission's row is locked first, so two admins
    /// deciding at once on two instances cannot both succeed.
    public func acceptSubmission(_ id: SubmissionID, as referral: Referral, flags: [String], rules: any LedgerRules, at now: Date) async throws
        -> ReferralSubmission
    {
        try await database.transaction { connection in
            try await waiting(id, connection)
            let referralID = try await PostgresProgramRepository.insertReferral(referral, flags: flags, at: now, connection, logger: logger)
            let rows = try await connection.execute(
                "UPDATE referral_submission SET status = 'accepted', decided_at = \(now), referral_id = \(referralID.rawValue) WHERE id = \(id.rawValue) RETURNING *",
                logger: logger)
            try await connection.audit("submission.accepted", subject: "submission:\(id)", detail: ["referral": "\(referralID)"], at: now, logger: logger)
            try await PostgresLedger.recompute(rules, outbound: outbound, at: now, connection, logger: logger)
            guard let row = rows.first else { throw GatewayError.notFound("submission \(id) does not exist") }
            return try ReferralSubmission(postgres: row)
        }
    }

    /// Locks a submission still waiting, or says why it is not.
    private func waiting(_ id: SubmissionID, _ connection: PostgresConnection) async throws {
        guard let row = try await connection.execute("SELECT status FROM referral_submission WHERE id = \(id.rawValue) FOR UPDATE", logger: logger).first
        else { throw GatewayError.notFound("submission \(id) does not exist") }
        let status = try row.decode(String.self)
        guard status == ReferralSubmission.Status.submitted.rawValue else { throw GatewayError.conflict("submission \(id) was already \(status)") }
    }

    public func declineSubmission(_ id: SubmissionID, reason: String, at now: Date) async throws -> ReferralSubmission {
        try await database.transaction { connection in
            let decided = try await connection.execute(
                """
                UPDATE referral_submission SET status = 'declined', decided_at = \(now), decline_reason = \(reason)
                WHERE id = \(id.rawValue) AND status = 'submitted'
                RETURNING *
                """, logger: logger)
            guard let row = decided.first else {
                // Not waiting: unknown, or decided already (perhaps a moment ago, on another instance).
                guard let row = try await connection.execute("SELECT status FROM referral_submission WHERE id = \(id.rawValue)", logger: logger).first
                else { throw GatewayError.notFound("submission \(id) does not exist") }
                throw GatewayError.conflict("submission \(id) was already \(try row.decode(String.self))")
            }
            try await connection.audit("submission.declined", subject: "submission:\(id)", detail: ["reason": reason], at: now, logger: logger)
            return try ReferralSubmission(postgres: row)
        }
    }
}

extension ReferralSubmission {
    /// A `referral_submission` row (every column).
    init(postgres row: PostgresRow) throws {
        let row = row.makeRandomAccess()
        self.init(
            id: SubmissionID(try row["id"].decode(Int64.self)), partnerID: PartnerID(try row["partner_id"].decode(Int64.self)),
            prospectName: try row["prospect_name"].decode(String.self), domain: try row["domain"].decode(String.self),
            contactName: try row["contact_name"].decode(String.self), contactEmail: try row["contact_email"].decode(String.self),
            note: try row["note"].decode(String?.self), submittedAt: try row["submitted_at"].decode(Date.self),
            status: Status(rawValue: try row["status"].decode(String.self)) ?? .submitted, decidedAt: try row["decided_at"].decode(Date?.self),
            declineReason: try row["decline_reason"].decode(String?.self), referralID: try row["referral_id"].decode(Int64?.self).map(ReferralID.init))
    }
}
