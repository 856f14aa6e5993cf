public import Foundation
public import GatewayCore

/// A partner to register.
public struct NewPartner: Sendable, Hashable {
    public var name: String
    public var kind: Partner.Kind
    public var specialty: Partner.Specialty?
    public var payoutForm: Partner.PayoutForm
    public var email: String?
    public var domains: [String]
    public var vendorIDs: [String: String]

    public init(
        name: String, kind: Partner.Kind, specialty: Partner.Specialty? = nil, payoutForm: Partner.PayoutForm, email: String? = nil,
        domains: [String] = [], vendorIDs: [String: String] = [:]
    ) {
        self.name = name
        self.kind = kind
        self.specialty = specialty
        self.payoutForm = payoutForm
        self.email = email
        self.domains = domains
        self.vendorIDs = vendorIDs
    }
}

/// The terms of a plan version: what a new plan starts with, or a later version changes.
public struct PlanTerms: Sendable, Hashable {
    public var effectiveFrom: Date
    public var rules: [CommissionRule]
    public var holdDays: Int
    public var attributionWindowDays: Int
    public var tiers: [PerformanceTier]
    public var capPerReferral: Money?
    public var capPerPartnerPerYear: Money?
    public var excludeOneTimeLines: Bool

    public init(
        effectiveFrom: Date, rules: [CommissionRule], holdDays: Int = PlanVersion.defaultHoldDays,
        attributionWindowDays: Int = PlanVersion.defaultAttributionWindowDays, tiers: [PerformanceTier] = [], capPerReferral: Money? = nil,
        capPerPartnerPerYear: Money? = nil, excludeOneTimeLines: Bool = true
    ) {
        self.effectiveFrom = effectiveFrom
        self.rules = rules
        self.holdDays = holdDays
        self.attributionWindowDays = attributionWindowDays
        self.tiers = tiers
        self.capPerReferral = capPerReferral
        self.capPerPartnerPerYear = capPerPartnerPerYear
        self.excludeOneTimeLines = excludeOneTimeLines
    }
}

/// A plan to create, with the terms of its first version.
public struct NewPlan: Sendable, Hashable {
    public var name: String
    public var terms: PlanTerms

    public init(name: String, terms: PlanTerms) {
        self.name = name
        self.terms = terms
    }

    public init(
        name: String, effectiveFrom: Date, rules: [CommissionRule], holdDays: Int = PlanVersion.defaultHoldDays,
        attributionWindowDays: Int = PlanVersion.defaultAttributionWindowDays
    ) {
        self.init(name: name, terms: PlanTerms(effectiveFrom: effectiveFrom, rules: rules, holdDays: holdDays, attributionWindowDays: attributionWindowDays))
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
    public var claimShare: Int

    public init(
        partnerID: PartnerID, planID: PlanID, prospectName: String, domains: [String] = [], contactEmails: [String] = [],
        vendorIDs: [String: String] = [:], referralCode: String? = nil, introducedAt: Date, claimShare: Int = 1
    ) {
        self.partnerID = partnerID
        self.planID = planID
        self.prospectName = prospectName
        self.domains = domains
        self.contactEmails = contactEmails
        self.vendorIDs = vendorIDs
        self.referralCode = referralCode
        self.introducedAt = introducedAt
        self.claimShare = claimShare
    }
}

/// A referral as the admin reads it: the record, its status today, and the flags raised when it
/// was recorded (a company already a client, already claimed by another partner).
public struct ReferralRecord: Sendable, Hashable, Encodable {
    public var referral: Referral
    public var status: Referral.Status
    public var flags: [String]

    public func encode(to encoder: any Encoder) throws {
        try referral.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(flags, forKey: .flags)
    }

    enum CodingKeys: String, CodingKey { case status, flags }
}

