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

/// The terms of a plan from one date on. Its terms are read through it (`version.holdDays`).
@dynamicMemberLookup
public struct PlanVersion: Hashable, Sendable, Codable {
    public static let defaultHoldDays = PlanTerms.defaultHoldDays
    public static let defaultAttributionWindowDays = PlanTerms.defaultAttributionWindowDays

    public var planID: PlanID
    /// 1, 2, 3, … in order of creation.
    public var version: Int
    public var terms: PlanTerms

    /// - Parameter terms: terms without an effective date apply from the Unix epoch.
    public init(planID: PlanID, version: Int, terms: PlanTerms) {
        self.planID = planID
        self.version = version
        self.terms = terms
        self.terms.effectiveFrom = terms.effectiveFrom ?? Date(timeIntervalSince1970: 0)
    }

    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<PlanTerms, Value>) -> Value {
        get { terms[keyPath: keyPath] }
        set { terms[keyPath: keyPath] = newValue }
    }

    /// From when the version applies.
    public var effectiveFrom: Date { terms.effectiveFrom ?? Date(timeIntervalSince1970: 0) }

    /// The version in effect at `date`: the latest one whose effective date is not after it.
    public static func inEffect(at date: Date, among versions: [PlanVersion]) -> PlanVersion? {
        versions.filter { $0.effectiveFrom <= date }.max { $0.version < $1.version }
    }

    /// The version whose terms govern something that happened at `date`: the one in effect then,
    /// or the plan's first for a date before every version. The one rule for attribution windows,
    /// holds and rates, used by the projection and by a referral's status alike.
    public static func governing(at date: Date, among versions: [PlanVersion]) -> PlanVersion? {
        inEffect(at: date, among: versions) ?? versions.min { $0.version < $1.version }
    }

    enum CodingKeys: String, CodingKey {
        case planID = "plan_id"
        case version
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            planID: try container.decode(PlanID.self, forKey: .planID), version: try container.decode(Int.self, forKey: .version),
            terms: try PlanTerms(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(planID, forKey: .planID)
        try container.encode(version, forKey: .version)
        try terms.encode(to: encoder)
    }
}
