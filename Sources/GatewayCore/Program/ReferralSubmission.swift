public import Foundation

/// A prospect a partner logged in the portal, waiting for the admin to accept it (which records
/// a referral on a plan the admin chooses) or to decline it with a reason the partner sees.
///
/// A submission claims nothing: until it is accepted no invoice is matched to it, so a partner
/// cannot attribute a company to itself without the admin's check.
public struct ReferralSubmission: Hashable, Sendable, Codable, Identifiable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case submitted, accepted, declined
    }

    public var id: SubmissionID
    public var partnerID: PartnerID
    public var prospectName: String
    /// The prospect's company domain, lower-cased.
    public var domain: String
    public var contactName: String
    public var contactEmail: String
    public var note: String?
    public var submittedAt: Date
    public var status: Status
    public var decidedAt: Date?
    /// Why the admin declined it.
    public var declineReason: String?
    /// The referral recorded when it was accepted.
    public var referralID: ReferralID?

    public init(
        id: SubmissionID, partnerID: PartnerID, prospectName: String, domain: String, contactName: String, contactEmail: String,
        note: String?, submittedAt: Date, status: Status = .submitted, decidedAt: Date? = nil, declineReason: String? = nil,
        referralID: ReferralID? = nil
    ) {
        self.id = id
        self.partnerID = partnerID
        self.prospectName = prospectName
        self.domain = domain.lowercased()
        self.contactName = contactName
        self.contactEmail = contactEmail
        self.note = note
        self.submittedAt = submittedAt
        self.status = status
        self.decidedAt = decidedAt
        self.declineReason = declineReason
        self.referralID = referralID
    }

    /// The referral an accepted submission becomes: introduced on the day the partner submitted
    /// it, so the partner's attribution window starts when the partner acted, not when the admin
    /// got round to it.
    public func referral(plan: PlanID) -> Referral {
        Referral(
            id: ReferralID(0), partnerID: partnerID, planID: plan, prospectName: prospectName, domains: [domain], contactEmails: [contactEmail],
            introducedAt: submittedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, domain, note, status
        case partnerID = "partner_id"
        case prospectName = "prospect_name"
        case contactName = "contact_name"
        case contactEmail = "contact_email"
        case submittedAt = "submitted_at"
        case decidedAt = "decided_at"
        case declineReason = "decline_reason"
        case referralID = "referral_id"
    }
}
