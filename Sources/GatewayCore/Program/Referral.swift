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
    /// Why the prospect was lost, as the admin wrote it (the partner sees it in the portal).
    public var lostReason: String?
    /// This referral's weight when competing claims split a company (conflict rule `split`), in
    /// basis points of a whole claim: 10 000 is the whole, 5 000 half. Written as a fraction
    /// (`1`, `0.5`) wherever people read or type it.
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
        lostReason: String? = nil,
        claimShare: Int = Referral.wholeClaim
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
        self.lostReason = lostReason
        self.claimShare = claimShare
    }

    /// A whole claim, in basis points.
    public static let wholeClaim = 10_000

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

    /// The referral's status on `date`, given when its contract started (if it has one) and its
    /// plan's versions: the attribution window is the one of the version governing the
    /// introduction date, as in the ledger's projection.
    public func status(on date: Date, contractStartedAt: Date?, planVersions: [PlanVersion]) -> Status {
        if let contractStartedAt, contractStartedAt <= date { return .signed }
        if let lostAt, lostAt <= date { return .lost }
        if date > windowEnd(planVersions: planVersions) { return .expired }
        if let qualifiedAt, qualifiedAt <= date { return .qualified }
        return .introduced
    }

    /// When the attribution window closes: the introduction plus the window of the plan version
    /// governing the introduction date, as in the ledger's projection.
    public func windowEnd(planVersions: [PlanVersion]) -> Date {
        let window = PlanVersion.governing(at: introducedAt, among: planVersions)?.attributionWindowDays ?? PlanTerms.defaultAttributionWindowDays
        return introducedAt.addingTimeInterval(TimeInterval(window) * 86_400)
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
        case lostReason = "lost_reason"
        case claimShare = "claim_share"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(ReferralID.self, forKey: .id), partnerID: try container.decode(PartnerID.self, forKey: .partnerID),
            planID: try container.decode(PlanID.self, forKey: .planID), prospectName: try container.decode(String.self, forKey: .prospectName),
            domains: try container.decode([String].self, forKey: .domains), contactEmails: try container.decode([String].self, forKey: .contactEmails),
            vendorIDs: try container.decode([String: String].self, forKey: .vendorIDs),
            referralCode: try container.decodeIfPresent(String.self, forKey: .referralCode),
            introducedAt: try container.decode(Date.self, forKey: .introducedAt), qualifiedAt: try container.decodeIfPresent(Date.self, forKey: .qualifiedAt),
            lostAt: try container.decodeIfPresent(Date.self, forKey: .lostAt),
            lostReason: try container.decodeIfPresent(String.self, forKey: .lostReason),
            claimShare: NSDecimalNumber(decimal: try container.decode(Decimal.self, forKey: .claimShare) * Decimal(Self.wholeClaim)).intValue)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(partnerID, forKey: .partnerID)
        try container.encode(planID, forKey: .planID)
        try container.encode(prospectName, forKey: .prospectName)
        try container.encode(domains, forKey: .domains)
        try container.encode(contactEmails, forKey: .contactEmails)
        try container.encode(vendorIDs, forKey: .vendorIDs)
        try container.encodeIfPresent(referralCode, forKey: .referralCode)
        try container.encode(introducedAt, forKey: .introducedAt)
        try container.encodeIfPresent(qualifiedAt, forKey: .qualifiedAt)
        try container.encodeIfPresent(lostAt, forKey: .lostAt)
        try container.encodeIfPresent(lostReason, forKey: .lostReason)
        try container.encode(Decimal(claimShare) / Decimal(Self.wholeClaim), forKey: .claimShare)
    }
}
