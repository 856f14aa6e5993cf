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
    public var payoutForm: PayoutForm
    public var email: String?
    public var createdAt: Date

    public init(id: PartnerID, name: String, kind: Kind, payoutForm: PayoutForm, email: String? = nil, createdAt: Date) {
        self.id = id
        self.name = name
        self.kind = kind
        self.payoutForm = payoutForm
        self.email = email
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, kind
        case payoutForm = "payout_form"
        case email
        case createdAt = "created_at"
    }
}
