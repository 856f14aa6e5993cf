public import Foundation

/// Money a client paid, or that was given back: what "revenue collected" and client lifetime
/// value count. Read from the stored payments, credits and voids; the roster ties each to its
/// company and counts a business effect once however many deliveries carried it.
public struct CashMovement: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A payment collected (`amount` is what was paid).
        case payment
        /// A credit or refund issued (`amount` is what was given back; negative gives it back again).
        case credit
        /// An invoice, or one payment on it, voided: the payments it names are taken back on that day.
        case void
    }

    /// Money in, a credit, or a void.
    public var kind: Kind
    /// The vendor customer (`vendor:stripe:cus_1`).
    public var vendorKey: String
    /// The event's business key (`stripe:-:invoice:in_1:paid`): one effect, one key.
    public var businessKey: String
    public var at: Date
    /// Absent for a void, which names its invoice, not an amount.
    public var amount: Money?
    /// The invoice paid, credited or voided (a credit may name none).
    public var invoiceID: String?
    /// The payment, when the vendor settles an invoice in several (QuickBooks).
    public var paymentID: String?

    public init(
        kind: Kind, vendorKey: String, businessKey: String, at: Date, amount: Money?, invoiceID: String? = nil, paymentID: String? = nil
    ) {
        self.kind = kind
        self.vendorKey = vendorKey
        self.businessKey = businessKey
        self.at = at
        self.amount = amount
        self.invoiceID = invoiceID
        self.paymentID = paymentID
    }

    /// The invoice within its vendor account (`stripe:-:in_1`): a business key starts with the
    /// source and the account, so the same invoice id in two accounts stays two invoices.
    var invoiceKey: String? {
        invoiceID.map { "\(businessKey.split(separator: ":", maxSplits: 2).prefix(2).joined(separator: ":")):\($0)" }
    }
}
