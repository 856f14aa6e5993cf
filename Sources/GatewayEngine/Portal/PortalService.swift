import Crypto
public import Foundation
public import GatewayCore
public import GatewayRepositories

/// The partner side of the program: the admin issues a sign-in link, the partner signs in with
/// it, reads only its own referrals, earnings and payouts, and submits prospects the admin accepts
/// or declines. Every secret it hands out (link token, session id) is stored as its SHA-256 only.
public struct PortalService: Sendable {
    private let store: any Repositories
    private let program: ProgramService
    private let reports: ReportService
    private let ledger = LedgerService()

    /// How long a sign-in link stays valid unless the admin says otherwise.
    public static let defaultLinkDays = 7
    /// The longest a link may be issued for.
    public static let maxLinkDays = 30
    /// How long a portal session lasts without use.
    public static let sessionLifetime: TimeInterval = 12 * 3_600

    public init(store: any Repositories) {
        self.store = store
        self.program = ProgramService(store: store)
        self.reports = ReportService(store: store)
    }

    // MARK: Signing in

    /// A new single-use sign-in link for a partner: the token goes in the URL once and is kept
    /// only as its hash.
    ///
    /// - Throws: `GatewayError.notFound` for an unknown partner; `.invalid` for a lifetime outside
    ///   1 to `maxLinkDays` days.
    public func issueLink(for partner: PartnerID, days: Int? = nil, at now: Date) async throws -> PortalLink {
        let days = days ?? Self.defaultLinkDays
        guard (1...Self.maxLinkDays).contains(days) else { throw GatewayError.invalid("days must be 1 to \(Self.maxLinkDays)") }
        try ProgramValidation.takesReferrals(try await program.partner(partner))
        let token = RandomToken.make()
        let expires = now.addingTimeInterval(TimeInterval(days) * 86_400)
        try await store.portal.addLink(partner: partner, tokenHash: Self.hash(token), expiresAt: expires, at: now)
        return PortalLink(partnerID: partner, token: token, expiresAt: expires)
    }

    /// Spends a sign-in link and opens a session for its partner.
    ///
    /// - Throws: `GatewayError.refused` with a sentence for the partner when the link was used
    ///   already, has expired, or was never issued.
    public func signIn(token: String, at now: Date) async throws -> PortalSignIn {
        let redemption = try await store.portal.redeemLink(tokenHash: Self.hash(token), at: now)
        switch redemption {
        case .signedIn(let partner):
            guard try await program.partner(partner).isActive else { throw GatewayError.refused(Self.deactivated) }
            let id = RandomToken.make()
            let record = PortalSessionRecord(
                idHash: Self.hash(id), partnerID: partner, csrf: RandomToken.make(), expiresAt: now.addingTimeInterval(Self.sessionLifetime))
            try await store.portal.addSession(record, at: now)
            return PortalSignIn(sessionID: id, session: record)
        case .used:
            throw GatewayError.refused("This sign-in link was already used. Links work once; ask for a new one.")
        case .expired:
            throw GatewayError.refused("This sign-in link has expired. Ask for a new one.")
        case .unknown:
            throw GatewayError.refused("This sign-in link is not valid. Check that the whole link was copied, or ask for a new one.")
        }
    }

    /// The live session a cookie names, kept alive by its use; none once the partner is
    /// deactivated.
    public func session(_ sessionID: String, at now: Date) async throws -> PortalSessionRecord? {
        guard let session = try await store.portal.session(idHash: Self.hash(sessionID), at: now, extendedTo: now.addingTimeInterval(Self.sessionLifetime))
        else { return nil }
        return try await program.partner(session.partnerID).isActive ? session : nil
    }

    static let deactivated = "This partner account is no longer active in the program. Contact the program manager."

    public func signOut(_ sessionID: String) async throws {
        try await store.portal.endSession(idHash: Self.hash(sessionID))
    }

    // MARK: What a partner sees

    public func partner(_ id: PartnerID) async throws -> Partner {
        try await program.partner(id)
    }

    /// Everything the portal's home page shows one partner, and nothing of any other.
    public func overview(of partnerID: PartnerID, at now: Date) async throws -> PortalOverview {
        let partner = try await program.partner(partnerID)
        let referrals = try await program.referrals(at: now).filter { $0.referral.partnerID == partnerID }
        let statement = try await reports.statement(partner: partnerID, period: .month(containing: now), at: now)
        let payouts = try await store.ledger.payouts().compactMap { payout -> PortalOverview.PartnerPayout? in
            let totals = payout.totals.filter { $0.partnerID == partnerID }
            guard !totals.isEmpty else { return nil }
            return .init(id: payout.id, createdAt: payout.createdAt, paidAt: payout.paidAt, amounts: totals.map(\.amount))
        }
        let giveGet = try await reports.giveGet(at: now, quietAfterDays: 90).first { $0.partnerID == partnerID }
        return PortalOverview(
            partner: partner, referrals: referrals.sorted { $0.referral.introducedAt > $1.referral.introducedAt },
            submissions: try await store.portal.submissions(of: partnerID).filter { $0.status != .accepted },
            runningMRR: try await reports.runningMRR(of: partnerID, on: [now]).first ?? [], balance: statement.balance, payouts: payouts,
            giveGet: giveGet)
    }

    /// One of the partner's own referrals; another partner's is `notFound`, as if it did not exist.
    public func referral(_ id: ReferralID, of partnerID: PartnerID, at now: Date) async throws -> ReferralRecord {
        guard let record = try await program.referrals(at: now).first(where: { $0.referral.id == id && $0.referral.partnerID == partnerID }) else {
            throw GatewayError.notFound("referral \(id) does not exist")
        }
        return record
    }

    /// What one of the partner's referrals earned, oldest first, with each line's status today.
    public func lines(of referral: ReferralID, partner partnerID: PartnerID, at now: Date) async throws -> [AccrualView] {
        try await store.ledger.accruals(partner: partnerID).filter { $0.line.referralID == referral && $0.line.beneficiary == .partner }
            .sorted { $0.line.earnedAt < $1.line.earnedAt }.map { AccrualView($0, at: now) }
    }

    /// One of the partner's own submissions; another partner's is `notFound`.
    public func submission(_ id: SubmissionID, of partnerID: PartnerID) async throws -> ReferralSubmission {
        guard let submission = try await store.portal.submission(id), submission.partnerID == partnerID else {
            throw GatewayError.notFound("submission \(id) does not exist")
        }
        return submission
    }

    // MARK: Submissions

    /// A prospect the partner logs; it waits for the admin.
    public func submit(_ input: SubmissionInput, by partnerID: PartnerID, at now: Date) async throws -> ReferralSubmission {
        let partner = try await program.partner(partnerID)
        guard partner.isActive else { throw GatewayError.refused(Self.deactivated) }
        let submission = try ProgramValidation.submission(input, by: partner, at: now)
        return try await store.portal.addSubmission(submission, at: now)
    }

    /// Submissions for the admin, newest first, each with the checks to read before accepting it.
    public func submissionsForReview(status: ReferralSubmission.Status? = nil) async throws -> [SubmissionReview] {
        let partners = Dictionary(uniqueKeysWithValues: try await program.partners().map { ($0.id, $0) })
        var reviews: [SubmissionReview] = []
        for submission in try await store.portal.submissions(of: nil) where status == nil || submission.status == status {
            guard let partner = partners[submission.partnerID] else { continue }
            reviews.append(try await review(submission, partner: partner))
        }
        return reviews
    }

    /// One submission with its checks.
    public func submissionForReview(_ id: SubmissionID) async throws -> SubmissionReview {
        guard let submission = try await store.portal.submission(id) else { throw GatewayError.notFound("submission \(id) does not exist") }
        return try await review(submission, partner: try await program.partner(submission.partnerID))
    }

    private func review(_ submission: ReferralSubmission, partner: Partner) async throws -> SubmissionReview {
        let referral = submission.referral(plan: PlanID(0))
        var checks = try await program.flags(for: referral)
        let own = partner.ownKeys.intersection(referral.matchKeys.map(\.storageKey))
        if !own.isEmpty { checks.append("same company as the partner: \(own.sorted().joined(separator: ", "))") }
        return SubmissionReview(submission: submission, partnerName: partner.name, checks: checks)
    }

    /// Accepts a waiting submission as a referral on `plan`, introduced on the day it was
    /// submitted, with the flags a referral recorded by the admin would get.
    ///
    /// - Throws: `.invalid` without a plan; `.notFound` for an unknown submission or plan;
    ///   `.refused` for the partner's own company; `.conflict` when already decided.
    public func accept(_ id: SubmissionID, plan: Int64?, at now: Date) async throws -> ReferralSubmission {
        guard let plan else { throw GatewayError.invalid("plan_id is required: choose the plan the referral earns on") }
        guard let submission = try await store.portal.submission(id) else { throw GatewayError.notFound("submission \(id) does not exist") }
        guard try await store.program.plan(PlanID(plan)) != nil else { throw GatewayError.notFound("plan \(plan) does not exist") }
        let partner = try await program.partner(submission.partnerID)
        let referral = submission.referral(plan: PlanID(plan))
        try ProgramValidation.takesReferrals(partner)
        try ProgramValidation.notSelfReferral(referral, by: partner)
        return try await store.portal.acceptSubmission(id, as: referral, flags: try await program.flags(for: referral), rules: ledger, at: now)
    }

    /// Declines a waiting submission with the reason the partner will read.
    public func decline(_ id: SubmissionID, reason: String?, at now: Date) async throws -> ReferralSubmission {
        let why = try ProgramValidation.required(reason, "reason")
        guard try await store.portal.submission(id) != nil else { throw GatewayError.notFound("submission \(id) does not exist") }
        return try await store.portal.declineSubmission(id, reason: why, at: now)
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// A sign-in link as issued: the token is shown to the admin once and never stored.
public struct PortalLink: Sendable, Hashable {
    public var partnerID: PartnerID
    public var token: String
    public var expiresAt: Date

    /// The address the partner opens: `base` is the gateway's public URL.
    public func url(base: String) -> String {
        "\(base.hasSuffix("/") ? String(base.dropLast()) : base)/portal/sign-in/\(token)"
    }

    /// The link as the admin receives it, from the API or the command line.
    public func issued(base: String) -> IssuedPortalLink {
        IssuedPortalLink(partnerID: partnerID, url: url(base: base), expiresAt: expiresAt)
    }
}

/// A sign-in link as it is handed to the admin: shown once, kept by the gateway only as a hash.
public struct IssuedPortalLink: Sendable, Hashable, Encodable {
    public var partnerID: PartnerID
    public var url: String
    public var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case url
        case partnerID = "partner_id"
        case expiresAt = "expires_at"
    }
}

/// A session just opened: its id goes in the cookie; the record is what the store keeps.
public struct PortalSignIn: Sendable {
    public var sessionID: String
    public var session: PortalSessionRecord
}

/// A submission as the admin reviews it.
public struct SubmissionReview: Sendable, Hashable, Encodable {
    public var submission: ReferralSubmission
    public var partnerName: String
    /// Already a client, claimed by another partner, the partner's own company: what to read
    /// before accepting.
    public var checks: [String]

    public func encode(to encoder: any Encoder) throws {
        try submission.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(partnerName, forKey: .partnerName)
        try container.encode(checks, forKey: .checks)
    }

    enum CodingKeys: String, CodingKey {
        case partnerName = "partner_name"
        case checks
    }
}

/// One partner's view of the program.
public struct PortalOverview: Sendable {
    /// A payout batch as far as it concerns this partner.
    public struct PartnerPayout: Sendable, Hashable {
        public var id: Int64
        public var createdAt: Date
        public var paidAt: Date?
        public var amounts: [Money]
    }

    public var partner: Partner
    public var referrals: [ReferralRecord]
    /// Submissions still waiting or declined (accepted ones are among the referrals).
    public var submissions: [ReferralSubmission]
    /// What the partner's signed clients bill a month today, per currency.
    public var runningMRR: [Money]
    public var balance: [StatusTotals]
    public var payouts: [PartnerPayout]
    public var giveGet: GiveGetBalance?
}
