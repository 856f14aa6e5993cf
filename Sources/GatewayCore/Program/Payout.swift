public import Foundation

/// A batch of payable lines an admin pays in one go.
public struct Payout: Sendable, Hashable, Encodable {
    public var id: Int64
    public var createdAt: Date
    public var paidAt: Date?
    public var note: String?
    public var lines: [Accrual]

    public init(id: Int64, createdAt: Date, paidAt: Date?, note: String?, lines: [Accrual]) {
        self.id = id
        self.createdAt = createdAt
        self.paidAt = paidAt
        self.note = note
        self.lines = lines
    }

    /// The net amount per payee and currency (clawbacks already deducted).
    public var totals: [PayoutTotal] {
        Dictionary(grouping: lines, by: PayoutTotal.Payee.init).map { payee, lines in
            PayoutTotal(
                partnerID: payee.partnerID, beneficiary: payee.beneficiary,
                amount: Money(minorUnits: lines.reduce(0) { $0 + $1.line.amount.minorUnits }, currency: payee.currency))
        }.sorted { ($0.partnerID, $0.beneficiary.rawValue, $0.amount.currency.code) < ($1.partnerID, $1.beneficiary.rawValue, $1.amount.currency.code) }
    }

    /// The lines a new batch made on `date` holds: every payable, non-zero line, except a payee's
    /// lines in a currency that net to zero or less (its clawback waits for a batch with something
    /// to deduct it from).
    public static func selection(from open: [Accrual], at date: Date) -> [Accrual] {
        let payable = open.filter { $0.payoutID == nil && $0.status(at: date) == .payable && $0.line.amount.minorUnits != 0 }
        return Dictionary(grouping: payable, by: PayoutTotal.Payee.init).values
            .filter { $0.reduce(Int64(0)) { $0 + $1.line.amount.minorUnits } > 0 }
            .flatMap { $0 }
            .sorted { $0.id < $1.id }
    }

    enum CodingKeys: String, CodingKey {
        case id, note, lines, totals
        case createdAt = "created_at"
        case paidAt = "paid_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(paidAt, forKey: .paidAt)
        try container.encodeIfPresent(note, forKey: .note)
        try container.encode(lines.map { AccrualView($0, at: paidAt ?? createdAt) }, forKey: .lines)
        try container.encode(totals, forKey: .totals)
    }
}

/// One payee's net amount in one currency.
public struct PayoutTotal: Sendable, Hashable, Encodable {
    /// Who is paid, in what form and currency: the unit lines are netted in.
    struct Payee: Hashable {
        var partnerID: PartnerID
        var beneficiary: AccrualLine.Beneficiary
        var currency: CurrencyCode

        init(_ accrual: Accrual) {
            partnerID = accrual.line.partnerID
            beneficiary = accrual.line.beneficiary
            currency = accrual.line.amount.currency
        }
    }

    public var partnerID: PartnerID
    public var beneficiary: AccrualLine.Beneficiary
    public var amount: Money

    enum CodingKeys: String, CodingKey {
        case beneficiary, amount
        case partnerID = "partner_id"
    }
}
