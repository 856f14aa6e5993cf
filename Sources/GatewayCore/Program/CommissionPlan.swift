public import Foundation

/// A named commission plan. Its terms live in versions; an accrual names the version that made it,
/// and a new version applies from its effective date without rewriting earlier accruals.
public struct CommissionPlan: Hashable, Sendable, Codable, Identifiable {
    public var id: PlanID
    public var name: String
    /// Oldest first.
    public var versions: [PlanVersion]

    public init(id: PlanID, name: String, versions: [PlanVersion]) {
        self.id = id
        self.name = name
        self.versions = versions
    }
}

/// The terms of a plan from one date on.
public struct PlanVersion: Hashable, Sendable, Codable {
    /// The hold period when a plan does not name one.
    public static let defaultHoldDays = 30
    /// How long after an introduction a contract still counts as referred, by default.
    public static let defaultAttributionWindowDays = 60

    public var planID: PlanID
    /// 1, 2, 3, … in order of creation.
    public var version: Int
    public var effectiveFrom: Date
    public var rules: [CommissionRule]
    /// Days an accrual stays pending before it may be paid.
    public var holdDays: Int
    /// Days after the introduction within which the first contract event must come.
    public var attributionWindowDays: Int
    /// Bonuses on the percentage rules by the partner's recent conversions.
    public var tiers: [PerformanceTier]
    /// The most one referral can earn its partner, over its whole life.
    public var capPerReferral: Money?
    /// The most one partner can earn in a calendar year (UTC), across referrals.
    public var capPerPartnerPerYear: Money?
    /// Whether one-time invoice lines (setup fees, hardware) are left out of payment bases.
    public var excludeOneTimeLines: Bool

    public init(
        planID: PlanID,
        version: Int,
        effectiveFrom: Date,
        rules: [CommissionRule],
        holdDays: Int = PlanVersion.defaultHoldDays,
        attributionWindowDays: Int = PlanVersion.defaultAttributionWindowDays,
        tiers: [PerformanceTier] = [],
        capPerReferral: Money? = nil,
        capPerPartnerPerYear: Money? = nil,
        excludeOneTimeLines: Bool = true
    ) {
        self.planID = planID
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.rules = rules
        self.holdDays = holdDays
        self.attributionWindowDays = attributionWindowDays
        self.tiers = tiers
        self.capPerReferral = capPerReferral
        self.capPerPartnerPerYear = capPerPartnerPerYear
        self.excludeOneTimeLines = excludeOneTimeLines
    }

    /// The version in effect at `date`: the latest one whose effective date is not after it.
    public static func inEffect(at date: Date, among versions: [PlanVersion]) -> PlanVersion? {
        versions.filter { $0.effectiveFrom <= date }.max { $0.version < $1.version }
    }

    enum CodingKeys: String, CodingKey {
        case planID = "plan_id"
        case version
        case effectiveFrom = "effective_from"
        case rules
        case holdDays = "hold_days"
        case attributionWindowDays = "attribution_window_days"
        case tiers
        case capPerReferral = "cap_per_referral"
        case capPerPartnerPerYear = "cap_per_partner_per_year"
        case excludeOneTimeLines = "exclude_one_time_lines"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            planID: try container.decode(PlanID.self, forKey: .planID),
            version: try container.decode(Int.self, forKey: .version),
            effectiveFrom: try container.decode(Date.self, forKey: .effectiveFrom),
            rules: try container.decode([CommissionRule].self, forKey: .rules),
            holdDays: try container.decode(Int.self, forKey: .holdDays),
            attributionWindowDays: try container.decode(Int.self, forKey: .attributionWindowDays),
            tiers: try container.decodeIfPresent([PerformanceTier].self, forKey: .tiers) ?? [],
            capPerReferral: try container.decodeIfPresent(Money.self, forKey: .capPerReferral),
            capPerPartnerPerYear: try container.decodeIfPresent(Money.self, forKey: .capPerPartnerPerYear),
            excludeOneTimeLines: try container.decodeIfPresent(Bool.self, forKey: .excludeOneTimeLines) ?? true)
    }
}
