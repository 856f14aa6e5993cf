public import Foundation

/// A payout batch as the MSP's books take it: one bill per cash payee and currency for an
/// accounts-payable import, and the credits to apply to clients' next invoices (client partners
/// paid in account credit, and referred clients' own rewards).
public struct PayoutExport: Sendable, Encodable {
    /// One payee's net amount in one currency.
    public struct Bill: Sendable, Hashable, Encodable {
        public var partnerID: PartnerID
        public var payee: String
        public var email: String?
        public var amount: Money
        public var accrualIDs: [AccrualID]
        public var memo: String

        enum CodingKeys: String, CodingKey {
            case payee, email, amount, memo
            case partnerID = "partner_id"
            case accrualIDs = "accrual_ids"
        }
    }

    /// An amount to credit on a client's next invoice.
    public struct Credit: Sendable, Hashable, Encodable {
        /// The client the credit goes to, as the billing system knows it where a vendor id is known.
        public var customer: String
        public var customerSource: String?
        public var customerID: String?
        /// Why: the partner's reward, or the referred client's own credit.
        public var reason: AccrualLine.Beneficiary
        public var partnerID: PartnerID
        public var amount: Money
        public var accrualIDs: [AccrualID]
        public var memo: String

        enum CodingKeys: String, CodingKey {
            case customer, reason, amount, memo
            case customerSource = "customer_source"
            case customerID = "customer_id"
            case partnerID = "partner_id"
            case accrualIDs = "accrual_ids"
        }
    }

    /// Who a referral's client is, for its credit lines.
    public struct ReferredClient: Sendable, Hashable {
        public var name: String
        public var customer: CustomerReference?

        public init(name: String, customer: CustomerReference?) {
            self.name = name
            self.customer = customer
        }
    }

    public var payoutID: Int64
    public var createdAt: Date
    public var bills: [Bill]
    public var credits: [Credit]

    /// - Parameters:
    ///   - lines: the batch's accrual lines.
    ///   - clients: the client of each referral the lines were earned on.
    public init(
        payoutID: Int64, createdAt: Date, lines: [Accrual], partners: [PartnerID: Partner], clients: [ReferralID: ReferredClient]
    ) {
        self.payoutID = payoutID
        self.createdAt = createdAt
        var bills: [Bill] = []
        var credits: [Credit] = []
        let groups = Dictionary(grouping: lines) { GroupKey(partnerID: $0.line.partnerID, beneficiary: $0.line.beneficiary, referralID: $0.line.beneficiary == .referredClient ? $0.line.referralID : nil, currency: $0.line.amount.currency) }
        for (key, group) in groups {
            let amount = Money(minorUnits: group.reduce(0) { $0 + $1.line.amount.minorUnits }, currency: key.currency)
            let ids = group.map(\.id).sorted { $0.rawValue < $1.rawValue }
            let memo = "Referral rewards, payout \(payoutID): accruals \(ids.map { "\($0.rawValue)" }.joined(separator: " "))"
            let partner = partners[key.partnerID]
            if let referralID = key.referralID {
                let client = clients[referralID]
                credits.append(
                    Credit(
                        customer: client?.customer?.name ?? client?.name ?? "referral \(referralID)", customerSource: client?.customer?.source,
                        customerID: client?.customer?.id, reason: .referredClient, partnerID: key.partnerID, amount: amount, accrualIDs: ids,
                        memo: memo))
            } else if let partner, partner.payoutForm == .accountCredit {
                let vendor = partner.vendorIDs.sorted { $0.key < $1.key }.first
                credits.append(
                    Credit(
                        customer: partner.name, customerSource: vendor?.key, customerID: vendor?.value, reason: .partner, partnerID: partner.id,
                        amount: amount, accrualIDs: ids, memo: memo))
            } else {
                bills.append(
                    Bill(partnerID: key.partnerID, payee: partner?.name ?? "partner \(key.partnerID)", email: partner?.email, amount: amount, accrualIDs: ids, memo: memo))
            }
        }
        self.bills = bills.sorted { ($0.payee, $0.amount.currency.code) < ($1.payee, $1.amount.currency.code) }
        self.credits = credits.sorted { ($0.customer, $0.amount.currency.code) < ($1.customer, $1.amount.currency.code) }
    }

    private struct GroupKey: Hashable {
        var partnerID: PartnerID
        var beneficiary: AccrualLine.Beneficiary
        var referralID: ReferralID?
        var currency: CurrencyCode
    }

    /// The bills as an accounts-payable import: payee, amount, currency, bill date, memo.
    public var billsCSV: String {
        var table = CSVTable(header: ["payee", "payee_email", "payee_reference", "amount", "currency", "bill_date", "memo"])
        for bill in bills {
            table.append([
                bill.payee, bill.email ?? "", "partner-\(bill.partnerID.rawValue)", bill.amount.decimalString, bill.amount.currency.code,
                Self.day(createdAt), bill.memo,
            ])
        }
        return table.text
    }

    /// The credits to apply to clients' next invoices.
    public var creditsCSV: String {
        var table = CSVTable(header: ["customer", "customer_source", "customer_id", "reason", "amount", "currency", "memo"])
        for credit in credits {
            table.append([
                credit.customer, credit.customerSource ?? "", credit.customerID ?? "", credit.reason.rawValue, credit.amount.decimalString,
                credit.amount.currency.code, credit.memo,
            ])
        }
        return table.text
    }

    static func day(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day())
    }

    enum CodingKeys: String, CodingKey {
        case bills, credits
        case payoutID = "payout_id"
        case createdAt = "created_at"
    }
}
