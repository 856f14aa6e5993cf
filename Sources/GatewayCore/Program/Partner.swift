public import Foundation

/// Someone who sends the MSP new clients.
public struct Partner: Hashable, Sendable, Codable, Identifiable {
    /// The five kinds of referral partner an MSP works with.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A happy client.
        case client
        /// Accountant, attorney, insurance broker, realtor, chamber or peer group.
        case centerOfInfluence = "center_of_influence"
        /// A vCIO or independent IT consultant.
        case vcio
        case peerMSP = "peer_msp"
        /// A vendor or ISV partner.
        case vendor
    }

    /// What kind of center of influence (or other professional) the partner is.
    public enum Specialty: String, Sendable, Codable, CaseIterable {
        case accountant, attorney
        case insuranceBroker = "insurance_broker"
        case realtor
        case chamber
        case peerGroup = "peer_group"
        case other
    }

    /// How the partner is rewarded.
    public enum PayoutForm: String, Sendable, Codable, CaseIterable {
        case cash
        /// A credit on the partner's own invoice (client partners).
        case accountCredit = "account_credit"
        /// No fee: professional rules forbid it for some accountants and attorneys.
        case reciprocalOnly = "reciprocal_only"
    }

    public var id: PartnerID
    public var name: String
    public var kind: Kind
    public var specialty: Specialty?
    public var payoutForm: PayoutForm
    public var email: String?
    /// The partner's own company domains and vendor ids: a referral of itself is refused.
    public var domains: [String]
    public var vendorIDs: [String: String]
    public var createdAt: Date
    /// When an admin deactivated the partner: it takes no new referrals, submissions or portal
    /// sign-ins, and what its referrals already earn keeps accruing. `nil` while active.
    public var deactivatedAt: Date?

    public var isActive: Bool { deactivatedAt == nil }

    public init(
        id: PartnerID, name: String, kind: Kind, specialty: Specialty? = nil, payoutForm: PayoutForm, email: String? = nil,
        domains: [String] = [], vendorIDs: [String: String] = [:], createdAt: Date, deactivatedAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.specialty = specialty
        self.payoutForm = payoutForm
        self.email = email
        self.domains = domains.map { $0.lowercased() }
        self.vendorIDs = vendorIDs
        self.createdAt = createdAt
        self.deactivatedAt = deactivatedAt
    }

    /// Keys under which a customer would be the partner itself.
    public var ownKeys: Set<String> {
        var keys = Set(vendorIDs.map { ReferralMatchKey.vendor(source: $0.key, id: $0.value).storageKey })
        keys.formUnion(domains.map { ReferralMatchKey.domain($0).storageKey })
        if let domain = CustomerReference(source: "", id: "", email: email).emailDomain, !FreeMailDomains.contains(domain) {
            keys.insert(ReferralMatchKey.domain(domain).storageKey)
        }
        return keys
    }

    enum CodingKeys: String, CodingKey {
        case id, name, kind, specialty, email, domains
        case payoutForm = "payout_form"
        case vendorIDs = "vendor_ids"
        case createdAt = "created_at"
        case deactivatedAt = "deactivated_at"
    }
}
