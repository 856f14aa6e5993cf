/// One way a plan rewards a partner.
///
/// Encoded as `{"type": "recurring_share", "rate_bps": 1000, "months": 12}` so plans can be
/// written by hand in the admin API.
public enum CommissionRule: Hashable, Sendable {
    /// A share of each collected payment, for the first `months` months of the contract
    /// (`nil`: for the life of the contract).
    case recurringShare(rate: BasisPoints, months: Int?)

    /// The rule's name on an accrual line.
    public var name: String {
        switch self {
        case .recurringShare: "recurring_share"
        }
    }
}

extension CommissionRule: Codable {
    private enum CodingKeys: String, CodingKey {
        case type
        case rateBasisPoints = "rate_bps"
        case months
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "recurring_share":
            let rate = try container.decode(BasisPoints.self, forKey: .rateBasisPoints)
            let months = try container.decodeIfPresent(Int.self, forKey: .months)
            guard rate.value > 0, rate.value <= 10_000 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .rateBasisPoints, in: container, debugDescription: "rate_bps must be between 1 and 10000")
            }
            if let months, months <= 0 {
                throw DecodingError.dataCorruptedError(
                    forKey: .months, in: container, debugDescription: "months must be positive, or absent for the life of the contract")
            }
            self = .recurringShare(rate: rate, months: months)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "unknown rule type \(type); known: recurring_share")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .recurringShare(let rate, let months):
            try container.encode(name, forKey: .type)
            try container.encode(rate, forKey: .rateBasisPoints)
            try container.encodeIfPresent(months, forKey: .months)
        }
    }
}
