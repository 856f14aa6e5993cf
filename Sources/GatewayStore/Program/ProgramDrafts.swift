public import Foundation
public import GatewayCore

/// A partner to register.
public struct NewPartner: Sendable, Hashable {
    public var name: String
    public var kind: Partner.Kind
    public var payoutForm: Partner.PayoutForm
    public var email: String?

    public init(name: String, kind: Partner.Kind, payoutForm: Partner.PayoutForm, email: String? = nil) {
        self.name = name
        self.kind = kind
        self.payoutForm = payoutForm
        self.email = email
    }
}

/// A plan to create, with the terms of its first version.
public struct NewPlan: Sendable, Hashable {
    public var name: String
    public var effectiveFrom: Date
    public var rules: [CommissionRule]
    public var holdDays: Int
    public var attributionWindowDays: Int

    public init(
        name: String, effectiveFrom: Date, rules: [CommissionRule], holdDays: Int = PlanVersion.defaultHoldDays,
        attributionWindowDays: Int = PlanVersion.defaultAttributionWindowDays
    ) {
        self.name = name
        self.effectiveFrom = effectiveFrom
        self.rules = rules
        self.holdDays = holdDays
        self.attributionWindowDays = attributionWindowDays
    }
}

/// A referral to record.
public struct NewReferral: Sendable, Hashable {
    public var partnerID: PartnerID
    public var planID: PlanID
    public var prospectName: String
    public var domains: [String]
    public var contactEmails: [String]
    public var vendorIDs: [String: String]
    public var referralCode: String?
    public var introducedAt: Date

    public init(
        partnerID: PartnerID, planID: PlanID, prospectName: String, domains: [String] = [], contactEmails: [String] = [],
        vendorIDs: [String: String] = [:], referralCode: String? = nil, introducedAt: Date
    ) {
        self.partnerID = partnerID
        self.planID = planID
        self.prospectName = prospectName
        self.domains = domains
        self.contactEmails = contactEmails
        self.vendorIDs = vendorIDs
        self.referralCode = referralCode
        self.introducedAt = introducedAt
    }
}
