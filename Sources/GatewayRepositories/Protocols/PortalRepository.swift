public import Foundation
public import GatewayCore

/// The partner side: sign-in links and sessions of the partner portal, and the referrals partners
/// submit there. Links and sessions are kept in the store (hashed), so a link issued through one
/// gateway instance signs in on another and a session outlives a restart.
public protocol PortalRepository: Sendable {
    /// Stores a single-use sign-in link for `partner`, by the SHA-256 of its token.
    func addLink(partner: PartnerID, tokenHash: String, expiresAt: Date, at now: Date) async throws
    /// Spends the link with `tokenHash` if it is unused and unexpired, in one write, so a link
    /// opened twice at once signs in once.
    func redeemLink(tokenHash: String, at now: Date) async throws -> PortalLinkRedemption

    /// Stores a session by the SHA-256 of its id.
    func addSession(_ session: PortalSessionRecord, at now: Date) async throws
    /// The live session with `idHash`, its expiry moved to `extendedTo`; `nil` when unknown or expired.
    func session(idHash: String, at now: Date, extendedTo: Date) async throws -> PortalSessionRecord?
    func endSession(idHash: String) async throws

    /// Stores a submission; its `id` is assigned by the store.
    func addSubmission(_ submission: ReferralSubmission, at now: Date) async throws -> ReferralSubmission
    /// Submissions, newest first: one partner's, or every partner's when `partner` is `nil`.
    func submissions(of partner: PartnerID?) async throws -> [ReferralSubmission]
    func submission(_ id: SubmissionID) async throws -> ReferralSubmission?
    /// Records `referral` for a submission still waiting and marks it accepted, in one transaction
    /// with the ledger's recomputation.
    /// - Throws: `GatewayError.conflict` when it was already decided.
    func acceptSubmission(_ id: SubmissionID, as referral: Referral, flags: [String], rules: any LedgerRules, at now: Date) async throws
        -> ReferralSubmission
    /// Marks a submission still waiting declined, with the reason the partner will read.
    /// - Throws: `GatewayError.conflict` when it was already decided.
    func declineSubmission(_ id: SubmissionID, reason: String, at now: Date) async throws -> ReferralSubmission
}

/// What opening a sign-in link found.
public enum PortalLinkRedemption: Sendable, Hashable {
    case signedIn(PartnerID)
    /// The link was already used (when).
    case used(Date)
    case expired(Date)
    /// No link has this token: mistyped, or forged.
    case unknown
}

/// A signed-in partner's session as stored: the hash of its id (the cookie's value is never
/// stored), the partner, and the CSRF token its forms carry.
public struct PortalSessionRecord: Sendable, Hashable {
    public var idHash: String
    public var partnerID: PartnerID
    public var csrf: String
    public var expiresAt: Date

    public init(idHash: String, partnerID: PartnerID, csrf: String, expiresAt: Date) {
        self.idHash = idHash
        self.partnerID = partnerID
        self.csrf = csrf
        self.expiresAt = expiresAt
    }
}
