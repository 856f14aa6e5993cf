public import Foundation

/// One commission line owed to a partner, with everything needed to explain it.
public struct Accrual: Hashable, Sendable, Codable, Identifiable {
    public enum State: String, Sendable, Codable {
        /// Inside the hold period.
        case pending
    }

    public var id: AccrualID
    public var contractID: ContractID
    public var line: AccrualLine

    public init(id: AccrualID, contractID: ContractID, line: AccrualLine) {
        self.id = id
        self.contractID = contractID
        self.line = line
    }

    public var partnerID: PartnerID { line.partnerID }

    private enum CodingKeys: String, CodingKey {
        case id
        case contractID = "contract_id"
    }

    /// Encoded flat: the ids beside the line's own fields.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(AccrualID.self, forKey: .id)
        self.contractID = try container.decode(ContractID.self, forKey: .contractID)
        self.line = try AccrualLine(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(contractID, forKey: .contractID)
        try line.encode(to: encoder)
    }
}

/// What the commission engine decides for one rule and one event: the accrual before it is stored.
public struct AccrualLine: Hashable, Sendable, Codable {
    /// Unique per partner, rule and business effect, so an effect never accrues twice.
    public var key: String
    public var partnerID: PartnerID
    public var sourceDelivery: DeliveryID
    /// The business key of the event that earned it (`stripe:-:invoice:in_1:paid`).
    public var businessKey: String
    public var rule: String
    public var planID: PlanID
    public var planVersion: Int
    public var basis: Money
    public var rate: BasisPoints
    public var amount: Money
    /// When the money was earned (the event's date, not the processing time).
    public var earnedAt: Date
    public var holdUntil: Date
    public var state: Accrual.State

    public init(
        key: String, partnerID: PartnerID, sourceDelivery: DeliveryID, businessKey: String, rule: String, planID: PlanID,
        planVersion: Int, basis: Money, rate: BasisPoints, amount: Money, earnedAt: Date, holdUntil: Date,
        state: Accrual.State = .pending
    ) {
        self.key = key
        self.partnerID = partnerID
        self.sourceDelivery = sourceDelivery
        self.businessKey = businessKey
        self.rule = rule
        self.planID = planID
        self.planVersion = planVersion
        self.basis = basis
        self.rate = rate
        self.amount = amount
        self.earnedAt = earnedAt
        self.holdUntil = holdUntil
        self.state = state
    }

    enum CodingKeys: String, CodingKey {
        case key
        case partnerID = "partner_id"
        case sourceDelivery = "source_delivery"
        case businessKey = "business_key"
        case rule
        case planID = "plan_id"
        case planVersion = "plan_version"
        case basis, rate, amount
        case earnedAt = "earned_at"
        case holdUntil = "hold_until"
        case state
    }
}
