/// A typed row identifier, so a partner id can never be passed where a referral id is expected.
public struct Identifier<Entity>: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let rawValue: Int64

    public init(_ rawValue: Int64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A stored webhook delivery (or poller record) in the inbox.
public enum DeliveryTag {}
public typealias DeliveryID = Identifier<DeliveryTag>
public typealias PartnerID = Identifier<Partner>
public typealias ReferralID = Identifier<Referral>
public typealias PlanID = Identifier<CommissionPlan>
public typealias ContractID = Identifier<Contract>
public typealias AccrualID = Identifier<Accrual>
public typealias SubmissionID = Identifier<ReferralSubmission>
