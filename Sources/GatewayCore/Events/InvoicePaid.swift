public import Foundation

/// Money was collected on an invoice: the event recurring commissions are paid on.
public struct InvoicePaid: Hashable, Sendable, Codable {
    /// One line of the invoice; `recurring` separates subscription lines from one-time charges.
    public struct Line: Hashable, Sendable, Codable {
        public var amount: Money
        public var recurring: Bool
        public var description: String?

        public init(amount: Money, recurring: Bool, description: String? = nil) {
            self.amount = amount
            self.recurring = recurring
            self.description = description
        }
    }

    /// The vendor account the invoice belongs to (a Stripe Connect account), when there is one.
    public var account: String?
    public var invoiceID: String
    /// The payment, when the vendor settles an invoice in several (QuickBooks); each accrues on its own.
    public var paymentID: String?
    public var customer: CustomerReference
    public var subscriptionID: String?
    /// What was collected: the basis of a "share of each collected payment" rule.
    public var amountPaid: Money
    public var paidAt: Date
    public var periodStart: Date?
    public var periodEnd: Date?
    public var lines: [Line]

    public init(
        account: String? = nil,
        invoiceID: String,
        paymentID: String? = nil,
        customer: CustomerReference,
        subscriptionID: String? = nil,
        amountPaid: Money,
        paidAt: Date,
        periodStart: Date? = nil,
        periodEnd: Date? = nil,
        lines: [Line] = []
    ) {
        self.account = account
        self.invoiceID = invoiceID
        self.paymentID = paymentID
        self.customer = customer
        self.subscriptionID = subscriptionID
        self.amountPaid = amountPaid
        self.paidAt = paidAt
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.lines = lines
    }

    enum CodingKeys: String, CodingKey {
        case account
        case invoiceID = "invoice_id"
        case paymentID = "payment_id"
        case customer
        case subscriptionID = "subscription_id"
        case amountPaid = "amount_paid"
        case paidAt = "paid_at"
        case periodStart = "period_start"
        case periodEnd = "period_end"
        case lines
    }
}

extension InvoicePaid {
    /// What the payment collected for the recurring service: the whole amount, or with
    /// `excludingOneTimeLines` only its recurring lines (never more than was paid).
    public func recurringAmount(excludingOneTimeLines: Bool) -> Money {
        guard excludingOneTimeLines, !lines.isEmpty, lines.contains(where: { !$0.recurring }) else { return amountPaid }
        let recurring = lines.filter(\.recurring).reduce(Int64(0)) { $0 + $1.amount.minorUnits }
        return Money(minorUnits: min(recurring, amountPaid.minorUnits), currency: amountPaid.currency)
    }
}
