public import Foundation

/// The program as the admin set it up: what the ledger projection reads besides the events.
public struct ProgramSnapshot: Sendable {
    public var partners: [PartnerID: Partner]
    public var referrals: [Referral]
    public var plans: [PlanID: [PlanVersion]]
    public var overrides: [AttributionOverride]
    public var settings: ProgramSettings

    public init(
        partners: [Partner], referrals: [Referral], plans: [PlanID: [PlanVersion]], overrides: [AttributionOverride] = [],
        settings: ProgramSettings = ProgramSettings()
    ) {
        self.partners = Dictionary(partners.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.referrals = referrals.sorted { $0.id < $1.id }
        self.plans = plans
        self.overrides = overrides
        self.settings = settings
    }
}

/// A business event with the delivery that carried it.
public struct RecordedEvent: Hashable, Sendable {
    public var event: BusinessEvent
    public var delivery: DeliveryID

    public init(_ event: BusinessEvent, delivery: DeliveryID) {
        self.event = event
        self.delivery = delivery
    }
}

/// A referral's contract as the projection sees it, before the store gives it an id.
public struct ProjectedContract: Hashable, Sendable {
    public var referralID: ReferralID
    public var partnerID: PartnerID
    public var planID: PlanID
    public var customer: CustomerReference
    public var startedAt: Date
    public var startedBy: DeliveryID
    public var endedAt: Date?
    public var monthlyValue: Money?
}

/// A claim on a company that lost to another, or was blocked, kept so an admin can see it.
public struct AttributionConflict: Hashable, Sendable, Codable {
    /// `vendor:<source>:<id>` of the customer.
    public var customerKey: String
    public var referralID: ReferralID
    /// The referral that won, when another did.
    public var winner: ReferralID?
    public var reason: String

    public init(customerKey: String, referralID: ReferralID, winner: ReferralID?, reason: String) {
        self.customerKey = customerKey
        self.referralID = referralID
        self.winner = winner
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case reason, winner
        case customerKey = "customer_key"
        case referralID = "referral_id"
    }
}

/// What the program earns from a set of events: contracts, accrual lines, conflicts, and a
/// sentence per business event saying what happened to it.
public struct LedgerProjection: Sendable {
    public var contracts: [ProjectedContract]
    public var lines: [AccrualLine]
    public var conflicts: [AttributionConflict]
    public var explanations: [String: String]
}
