public import Foundation

/// Money a client paid, or that was given back: what "revenue collected" and client lifetime
/// value count. Read from the stored payments, credits and voids; the roster ties each to its
/// company and counts a business effect once however many deliveries carried it.
public struct CashMovement: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A payment collected (`amount` is what was paid).
        case payment
        /// A credit or refund issued (`amount` is what was given back).
        case credit
        /// An invoice, or one payment on it, voided: the payments it names are taken back on that day.
        case void
    }

    public var kind: Kind
    /// The vendor customer (`vendor:stripe:cus_1`).
    public var vendorKey: String
    /// The event's business key (`stripe:-:invoice:in_1:paid`): one effect, one key.
    public var businessKey: String
    public var at: Date
    /// Absent for a void, which names its invoice, not an amount.
    public var amount: Money?

    public init(kind: Kind, vendorKey: String, businessKey: String, at: Date, amount: Money?) {
        self.kind = kind
        self.vendorKey = vendorKey
        self.businessKey = businessKey
        self.at = at
        self.amount = amount
    }

    /// The invoice (and payment) the key names, without the effect: what a void and the payments
    /// it takes back have in common (`stripe:-:invoice:in_1`).
    var invoiceKey: String {
        for suffix in [":paid", ":voided"] where businessKey.hasSuffix(suffix) { return String(businessKey.dropLast(suffix.count)) }
        return businessKey
    }
}
