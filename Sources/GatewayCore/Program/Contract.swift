public import Foundation

/// A referred prospect that became a paying client: the referral, the customer it turned into,
/// and when the contract started (the first commissionable event), from which plan months count.
public struct Contract: Hashable, Sendable, Codable, Identifiable {
    public var id: ContractID
    public var referralID: ReferralID
    public var partnerID: PartnerID
    public var planID: PlanID
    public var customer: CustomerReference
    public var startedAt: Date
    public var createdByDelivery: DeliveryID
    /// When the agreement ended (cancelled or deleted); payments after it earn no recurring share.
    public var endedAt: Date?
    /// The monthly recurring value: the agreement's amount, else the first payment's recurring lines.
    public var monthlyValue: Money?

    public init(
        id: ContractID, referralID: ReferralID, partnerID: PartnerID, planID: PlanID,
        customer: CustomerReference, startedAt: Date, createdByDelivery: DeliveryID, endedAt: Date? = nil, monthlyValue: Money? = nil
    ) {
        self.id = id
        self.referralID = referralID
        self.partnerID = partnerID
        self.planID = planID
        self.customer = customer
        self.startedAt = startedAt
        self.createdByDelivery = createdByDelivery
        self.endedAt = endedAt
        self.monthlyValue = monthlyValue
    }

    enum CodingKeys: String, CodingKey {
        case id
        case referralID = "referral_id"
        case partnerID = "partner_id"
        case planID = "plan_id"
        case customer
        case startedAt = "started_at"
        case createdByDelivery = "created_by_delivery"
        case endedAt = "ended_at"
        case monthlyValue = "monthly_value"
    }
}
