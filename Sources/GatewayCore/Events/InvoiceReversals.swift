public import Foundation

/// An invoice or a payment on it was voided: money once reported collected was not.
public struct InvoiceVoided: Hashable, Sendable, Codable {
    public var account: String?
    public var invoiceID: String
    /// Set when a payment was voided rather than the invoice.
    public var paymentID: String?
    public var customer: CustomerReference
    public var voidedAt: Date

    public init(account: String? = nil, invoiceID: String, paymentID: String? = nil, customer: CustomerReference, voidedAt: Date) {
        self.account = account
        self.invoiceID = invoiceID
        self.paymentID = paymentID
        self.customer = customer
        self.voidedAt = voidedAt
    }

    enum CodingKeys: String, CodingKey {
        case account, customer
        case invoiceID = "invoice_id"
        case paymentID = "payment_id"
        case voidedAt = "voided_at"
    }
}

/// A credit or refund was issued against a customer's invoice.
public struct CreditIssued: Hashable, Sendable, Codable {
    public var account: String?
    public var creditID: String
    public var invoiceID: String?
    public var customer: CustomerReference
    public var amount: Money
    public var issuedAt: Date

    public init(account: String? = nil, creditID: String, invoiceID: String? = nil, customer: CustomerReference, amount: Money, issuedAt: Date) {
        self.account = account
        self.creditID = creditID
        self.invoiceID = invoiceID
        self.customer = customer
        self.amount = amount
        self.issuedAt = issuedAt
    }

    enum CodingKeys: String, CodingKey {
        case account, customer, amount
        case creditID = "credit_id"
        case invoiceID = "invoice_id"
        case issuedAt = "issued_at"
    }
}
