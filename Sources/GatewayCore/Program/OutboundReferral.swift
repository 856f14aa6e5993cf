public import Foundation

/// Work the MSP sent to a partner (the "give" side of give and get).
public struct OutboundReferral: Sendable, Hashable, Codable {
    public var id: Int64
    public var partnerID: PartnerID
    public var clientName: String
    public var referredAt: Date
    public var monthlyValue: Money?
    public var note: String?

    public init(id: Int64, partnerID: PartnerID, clientName: String, referredAt: Date, monthlyValue: Money?, note: String?) {
        self.id = id
        self.partnerID = partnerID
        self.clientName = clientName
        self.referredAt = referredAt
        self.monthlyValue = monthlyValue
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case id, note
        case partnerID = "partner_id"
        case clientName = "client_name"
        case referredAt = "referred_at"
        case monthlyValue = "monthly_value"
    }
}
