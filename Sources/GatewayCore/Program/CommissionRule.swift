/// One way a plan rewards a partner. A plan combines several (the hybrid "flat at the qualified
/// meeting plus a share of first-year value at signing" is two rules).
///
/// Encoded with a `type`: `{"type": "recurring_share", "steps": [{"months": 12, "rate_bps": 1000},
/// {"rate_bps": 500}]}`, `{"type": "finder_fee", "amount": {"minor_units": 25000, "currency": "USD"}}`.
public enum CommissionRule: Hashable, Sendable {
    /// A share of each collected payment, step by step from the contract's start: e.g. 10 % for
    /// 12 months, then 5 % for the life of the contract. Payments after the last bounded step earn
    /// nothing.
    case recurringShare(steps: [RateStep])
    /// A flat fee when the contract starts.
    case finderFee(Money)
    /// A share of the first year's contract value (12 × the monthly recurring amount), when the
    /// contract starts.
    case firstYearValue(rate: BasisPoints)
    /// A flat reward when the referral reaches a qualified meeting, contract or not.
    case qualifiedMeeting(Money)
    /// A flat bonus on the partner's first contract ever.
    case firstReferralBonus(Money)
    /// A credit for the referred client (double-sided reward), when its contract starts.
    case clientCredit(Money)

    /// One rate for `months` months (`nil`: for the life of the contract).
    public static func recurringShare(rate: BasisPoints, months: Int?) -> CommissionRule {
        .recurringShare(steps: [RateStep(months: months, rate: rate)])
    }

    /// The rule's name on an accrual line.
    public var name: String {
        switch self {
        case .recurringShare: "recurring_share"
        case .finderFee: "finder_fee"
        case .firstYearValue: "first_year_value"
        case .qualifiedMeeting: "qualified_meeting"
        case .firstReferralBonus: "first_referral_bonus"
        case .clientCredit: "client_credit"
        }
    }
}

/// A rate for a number of months (`nil`: for the rest of the contract).
public struct RateStep: Hashable, Sendable, Codable {
    public var months: Int?
    public var rate: BasisPoints

    public init(months: Int?, rate: BasisPoints) {
        self.months = months
        self.rate = rate
    }

    enum CodingKeys: String, CodingKey {
        case months
        case rate = "rate_bps"
    }
}

/// A bonus on the percentage rules for partners who converted at least `minConversions`
/// referrals (contracts started) in the trailing 12 months, this one included.
public struct PerformanceTier: Hashable, Sendable, Codable {
    public var minConversions: Int
    public var bonus: BasisPoints

    public init(minConversions: Int, bonus: BasisPoints) {
        self.minConversions = minConversions
        self.bonus = bonus
    }

    enum CodingKeys: String, CodingKey {
        case minConversions = "min_conversions"
        case bonus = "bonus_bps"
    }
}

extension CommissionRule: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, steps, months, amount
        case rateBasisPoints = "rate_bps"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        // Only the shape is read here; whether the numbers make sense is the engine's validation.
        switch type {
        case "recurring_share":
            let steps: [RateStep]
            if let listed = try container.decodeIfPresent([RateStep].self, forKey: .steps) {
                steps = listed
            } else {
                steps = [RateStep(months: try container.decodeIfPresent(Int.self, forKey: .months), rate: try container.decode(BasisPoints.self, forKey: .rateBasisPoints))]
            }
            self = .recurringShare(steps: steps)
        case "finder_fee": self = .finderFee(try container.decode(Money.self, forKey: .amount))
        case "first_year_value": self = .firstYearValue(rate: try container.decode(BasisPoints.self, forKey: .rateBasisPoints))
        case "qualified_meeting": self = .qualifiedMeeting(try container.decode(Money.self, forKey: .amount))
        case "first_referral_bonus": self = .firstReferralBonus(try container.decode(Money.self, forKey: .amount))
        case "client_credit": self = .clientCredit(try container.decode(Money.self, forKey: .amount))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container,
                debugDescription: "unknown rule type \(type); known: recurring_share, finder_fee, first_year_value, qualified_meeting, first_referral_bonus, client_credit")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .type)
        switch self {
        case .recurringShare(let steps): try container.encode(steps, forKey: .steps)
        case .firstYearValue(let rate): try container.encode(rate, forKey: .rateBasisPoints)
        case .finderFee(let amount), .qualifiedMeeting(let amount), .firstReferralBonus(let amount), .clientCredit(let amount):
            try container.encode(amount, forKey: .amount)
        }
    }
}
