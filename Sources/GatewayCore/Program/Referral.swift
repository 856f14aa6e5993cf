public import Foundation

/// A partner's introduction of a prospect company, and what identifies that company in the
/// vendors' systems so its invoices can be matched back to the partner.
public struct Referral: Hashable, Sendable, Codable, Identifiable {
    public enum Status: String, Sendable, Codable {
        case introduced
        case signed
    }

    public var id: ReferralID
    public var partnerID: PartnerID
    public var planID: PlanID
    public var prospectName: String
    /// Lower-cased company domains (`brightdental.example`).
    public var domains: [String]
    public var contactEmails: [String]
    /// Known ids of the prospect in vendor systems, keyed by source (`stripe` → `cus_…`).
    public var vendorIDs: [String: String]
    public var referralCode: String?
    public var introducedAt: Date
    public var status: Status

    public init(
        id: ReferralID,
        partnerID: PartnerID,
        planID: PlanID,
        prospectName: String,
        domains: [String] = [],
        contactEmails: [String] = [],
        vendorIDs: [String: String] = [:],
        referralCode: String? = nil,
        introducedAt: Date,
        status: Status = .introduced
    ) {
        self.id = id
        self.partnerID = partnerID
        self.planID = planID
        self.prospectName = prospectName
        self.domains = domains.map { $0.lowercased() }
        self.contactEmails = contactEmails
        self.vendorIDs = vendorIDs
        self.referralCode = referralCode
        self.introducedAt = introducedAt
        self.status = status
    }

    /// Every key under which a customer could be matched to this referral.
    public var matchKeys: [ReferralMatchKey] {
        var keys = vendorIDs.sorted { $0.key < $1.key }.map { ReferralMatchKey.vendor(source: $0.key, id: $0.value) }
        if let referralCode { keys.append(.code(referralCode)) }
        keys += domains.map { ReferralMatchKey.domain($0) }
        for email in contactEmails {
            if let domain = CustomerReference(source: "", id: "", email: email).emailDomain,
                !FreeMailDomains.contains(domain), !domains.contains(domain)
            {
                keys.append(.domain(domain))
            }
        }
        return keys
    }

    enum CodingKeys: String, CodingKey {
        case id
        case partnerID = "partner_id"
        case planID = "plan_id"
        case prospectName = "prospect_name"
        case domains
        case contactEmails = "contact_emails"
        case vendorIDs = "vendor_ids"
        case referralCode = "referral_code"
        case introducedAt = "introduced_at"
        case status
    }
}
