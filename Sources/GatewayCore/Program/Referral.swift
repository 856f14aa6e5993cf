public import Foundation

/// A partner's introduction of a prospect company, and what identifies that company in the
/// vendors' systems so its invoices can be matched back to the partner.
public struct Referral: Hashable, Sendable, Codable, Identifiable {
    /// introduced → qualified (a meeting happened) → signed, or lost, or expired when the
    /// attribution window ends without a contract.
    public enum Status: String, Sendable, Codable, CaseIterable {
        case introduced, qualified, signed, lost, expired
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
    /// When the qualified meeting took place.
    public var qualifiedAt: Date?
    /// When the prospect was marked lost; a lost referral claims nothing from then on.
    public var lostAt: Date?
    /// This referral's weight when competing claims split a company (conflict rule `split`).
    public var claimShare: Int

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
        qualifiedAt: Date? = nil,
        lostAt: Date? = nil,
        claimShare: Int = 1
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
        self.qualifiedAt = qualifiedAt
        self.lostAt = lostAt
        self.claimShare = max(1, claimShare)
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

    /// The referral's status on `date`, given when its contract started (if it has one).
    public func status(on date: Date, contractStartedAt: Date?, windowDays: Int) -> Status {
        if let contractStartedAt, contractStartedAt <= date { return .signed }
        if let lostAt, lostAt <= date { return .lost }
        if date > introducedAt.addingTimeInterval(TimeInterval(windowDays) * 86_400) { return .expired }
        if let qualifiedAt, qualifiedAt <= date { return .qualified }
        return .introduced
    }

    enum CodingKeys: String, CodingKey {
        case id, domains
        case partnerID = "partner_id"
        case planID = "plan_id"
        case prospectName = "prospect_name"
        case contactEmails = "contact_emails"
        case vendorIDs = "vendor_ids"
        case referralCode = "referral_code"
        case introducedAt = "introduced_at"
        case qualifiedAt = "qualified_at"
        case lostAt = "lost_at"
        case claimShare = "claim_share"
    }
}
