public import Foundation

/// An accrual as reports show it: the line and its status on a date.
public struct AccrualView: Sendable, Encodable {
    public var accrual: Accrual
    public var status: Accrual.Status

    public init(_ accrual: Accrual, at date: Date) {
        self.init(accrual, status: accrual.status(at: date))
    }

    public init(_ accrual: Accrual, status: Accrual.Status) {
        self.accrual = accrual
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case id, status
        case contractID = "contract_id"
        case approvedAt = "approved_at"
        case payoutID = "payout_id"
    }

    public func encode(to encoder: any Encoder) throws {
        try accrual.line.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(accrual.id, forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(accrual.contractID, forKey: .contractID)
        try container.encodeIfPresent(accrual.approvedAt, forKey: .approvedAt)
        try container.encodeIfPresent(accrual.payoutID, forKey: .payoutID)
    }
}
