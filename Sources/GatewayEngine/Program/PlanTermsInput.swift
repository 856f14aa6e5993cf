public import Foundation
public import GatewayCore

/// Plan terms as people type them, on the command line's flags and in the console's form: rates
/// as percentages (`10%`, `12.5`), amounts with their currency (`250 USD`), tiers as
/// `conversions:bonus` (`3:2.5%`). `terms(effectiveFrom:)` reads them and names the field at
/// fault; whether the terms make sense as a plan is `ProgramValidation.terms`' to say.
public struct PlanTermsInput: Sendable, Hashable {
    /// Share of each collected payment.
    public var rate: String?
    /// For how many months `rate` applies; absent for the life of the contract.
    public var months: String?
    /// Share after `months`, for the rest of the contract.
    public var thenRate: String?
    public var finderFee: String?
    public var firstYearRate: String?
    public var qualifiedReward: String?
    public var firstReferralBonus: String?
    public var clientCredit: String?
    public var tiers: [String]
    public var capPerReferral: String?
    public var capPerPartnerPerYear: String?
    public var includeOneTimeLines: Bool
    public var holdDays: String?
    public var attributionWindowDays: String?

    public init(
        rate: String? = nil, months: String? = nil, thenRate: String? = nil, finderFee: String? = nil, firstYearRate: String? = nil,
        qualifiedReward: String? = nil, firstReferralBonus: String? = nil, clientCredit: String? = nil, tiers: [String] = [],
        capPerReferral: String? = nil, capPerPartnerPerYear: String? = nil, includeOneTimeLines: Bool = false, holdDays: String? = nil,
        attributionWindowDays: String? = nil
    ) {
        self.rate = rate
        self.months = months
        self.thenRate = thenRate
        self.finderFee = finderFee
        self.firstYearRate = firstYearRate
        self.qualifiedReward = qualifiedReward
        self.firstReferralBonus = firstReferralBonus
        self.clientCredit = clientCredit
        self.tiers = tiers
        self.capPerReferral = capPerReferral
        self.capPerPartnerPerYear = capPerPartnerPerYear
        self.includeOneTimeLines = includeOneTimeLines
        self.holdDays = holdDays
        self.attributionWindowDays = attributionWindowDays
    }

    /// The terms these fields state. Empty fields are absent.
    ///
    /// - Throws: `GatewayError.invalid`, with the field, for a value that does not read.
    public func terms(effectiveFrom: Date?) throws(GatewayError) -> PlanTerms {
        var rules: [CommissionRule] = []
        let months = try Self.count(self.months, "months")
        if let rate = try Self.rate(rate, "rate") {
            var steps = [RateStep(months: months, rate: rate)]
            if let thenRate = try Self.rate(thenRate, "then_rate") {
                guard months != nil else { throw .invalid("then_rate needs months: the first rate's duration", field: "then_rate") }
                steps.append(RateStep(months: nil, rate: thenRate))
            }
            rules.append(.recurringShare(steps: steps))
        }
        if let fee = try Self.money(finderFee, "finder_fee") { rules.append(.finderFee(fee)) }
        if let rate = try Self.rate(firstYearRate, "first_year_rate") { rules.append(.firstYearValue(rate: rate)) }
        if let reward = try Self.money(qualifiedReward, "qualified_reward") { rules.append(.qualifiedMeeting(reward)) }
        if let bonus = try Self.money(firstReferralBonus, "first_referral_bonus") { rules.append(.firstReferralBonus(bonus)) }
        if let credit = try Self.money(clientCredit, "client_credit") { rules.append(.clientCredit(credit)) }
        var performanceTiers: [PerformanceTier] = []
        for text in tiers where !text.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = text.split(separator: ":")
            guard parts.count == 2, let count = Int(parts[0].trimmingCharacters(in: .whitespaces)), let bonus = Self.percent(String(parts[1])) else {
                throw .invalid("a tier is conversions:bonus, e.g. 3:2.5%, not '\(text.prefix(40))'", field: "tiers")
            }
            performanceTiers.append(PerformanceTier(minConversions: count, bonus: bonus))
        }
        return PlanTerms(
            effectiveFrom: effectiveFrom, rules: rules, holdDays: try Self.count(holdDays, "hold_days") ?? PlanTerms.defaultHoldDays,
            attributionWindowDays: try Self.count(attributionWindowDays, "attribution_window_days") ?? PlanTerms.defaultAttributionWindowDays,
            tiers: performanceTiers, capPerReferral: try Self.money(capPerReferral, "cap_per_referral"),
            capPerPartnerPerYear: try Self.money(capPerPartnerPerYear, "cap_per_partner_per_year"), excludeOneTimeLines: !includeOneTimeLines)
    }

    private static func present(_ text: String?) -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespaces), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    private static func rate(_ text: String?, _ field: String) throws(GatewayError) -> BasisPoints? {
        guard let text = present(text) else { return nil }
        guard let rate = percent(text) else { throw .invalid("\(field) takes a percentage, e.g. 10% or 12.5%", field: field) }
        return rate
    }

    /// `10%`, `12.5`, `-5%`: any sign, so the validation (not the reader) says what is allowed.
    static func percent(_ text: String) -> BasisPoints? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("-") else { return BasisPoints(percent: trimmed) }
        return BasisPoints(percent: String(trimmed.dropFirst())).map { BasisPoints(-$0.value) }
    }

    private static func count(_ text: String?, _ field: String) throws(GatewayError) -> Int? {
        guard let text = present(text) else { return nil }
        guard let count = Int(text) else { throw .invalid("\(field) must be a whole number of \(field == "months" ? "months" : "days")", field: field) }
        return count
    }

    private static func money(_ text: String?, _ field: String) throws(GatewayError) -> Money? {
        try MoneyInput.parse(text, field: field)
    }
}
