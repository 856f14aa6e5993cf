public import Foundation

/// The terms of a plan version: its rules and the limits around them. One shape for every place
/// that reads or writes terms: the admin API's JSON, the command line, the store, the projection.
public struct PlanTerms: Hashable, Sendable, Codable {
    /// The hold period when a plan does not name one.
    public static let defaultHoldDays = 30
    /// How long after an introduction a contract still counts as referred, by default.
    public static let defaultAttributionWindowDays = 60

    /// From when these terms apply. `nil` only on a new plan's first terms, which apply to every
    /// event however old (the store records them from the Unix epoch).
    public var effectiveFrom: Date?
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
        effectiveFrom: Date? = nil, rules: [CommissionRule], holdDays: Int = PlanTerms.defaultHoldDays,
        attributionWindowDays: Int = PlanTerms.defaultAttributionWindowDays, tiers: [PerformanceTier] = [], capPerReferral: Money? = nil,
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

    enum CodingKeys: String, CodingKey {
        case rules, tiers
        case effectiveFrom = "effective_from"
        case holdDays = "hold_days"
        case attributionWindowDays = "attribution_window_days"
        case capPerReferral = "cap_per_referral"
        case capPerPartnerPerYear = "cap_per_partner_per_year"
        case excludeOneTimeLines = "exclude_one_time_lines"
    }

    /// Absent fields take the defaults; `effective_from` is a day or an ISO 8601 timestamp.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try? container.decodeIfPresent(String.self, forKey: .effectiveFrom) {
            do {
                effectiveFrom = try DateInput.parse(text, field: "effective_from")
            } catch {
                throw DecodingError.dataCorruptedError(forKey: .effectiveFrom, in: container, debugDescription: error.message)
            }
        } else {
            effectiveFrom = try container.decodeIfPresent(Date.self, forKey: .effectiveFrom)
        }
        rules = try container.decodeIfPresent([CommissionRule].self, forKey: .rules) ?? []
        holdDays = try container.decodeIfPresent(Int.self, forKey: .holdDays) ?? Self.defaultHoldDays
        attributionWindowDays = try container.decodeIfPresent(Int.self, forKey: .attributionWindowDays) ?? Self.defaultAttributionWindowDays
        tiers = try container.decodeIfPresent([PerformanceTier].self, forKey: .tiers) ?? []
        capPerReferral = try container.decodeIfPresent(Money.self, forKey: .capPerReferral)
        capPerPartnerPerYear = try container.decodeIfPresent(Money.self, forKey: .capPerPartnerPerYear)
        excludeOneTimeLines = try container.decodeIfPresent(Bool.self, forKey: .excludeOneTimeLines) ?? true
    }
}
