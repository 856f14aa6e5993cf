public import Foundation

/// What an adapter turns a vendor payload into, and the only thing the ledger reads.
///
/// Encoded flat, with a `kind` beside the event's own fields, so stored events and the expected
/// events beside each fixture read like the vendor payloads they came from.
public enum BusinessEvent: Hashable, Sendable {
    case invoicePaid(InvoicePaid)
    case invoiceVoided(InvoiceVoided)
    case creditIssued(CreditIssued)
    case agreementCreated(AgreementCreated)
    case agreementChanged(AgreementChanged)
    case agreementCancelled(AgreementCancelled)
    case clientSigned(ClientSigned)
    case customerSeen(CustomerSeen)

    /// The kinds an adapter definition may `emit`.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case invoicePaid = "invoice_paid"
        case invoiceVoided = "invoice_voided"
        case creditIssued = "credit_issued"
        case agreementCreated = "agreement_created"
        case agreementChanged = "agreement_changed"
        case agreementCancelled = "agreement_cancelled"
        case clientSigned = "client_signed"
        case customerSeen = "customer_seen"
    }

    public var kind: Kind {
        switch self {
        case .invoicePaid: .invoicePaid
        case .invoiceVoided: .invoiceVoided
        case .creditIssued: .creditIssued
        case .agreementCreated: .agreementCreated
        case .agreementChanged: .agreementChanged
        case .agreementCancelled: .agreementCancelled
        case .clientSigned: .clientSigned
        case .customerSeen: .customerSeen
        }
    }

    /// The second idempotency layer: one key per business effect, whatever delivery carried it.
    ///
    /// Stripe sends `invoice.paid` and `invoice.payment_succeeded` (two event ids) for one
    /// payment; both carry the same key, so the ledger accrues once. QuickBooks settles an invoice
    /// in payments, so its key names the payment too.
    public var businessKey: String {
        switch self {
        case .invoicePaid(let paid):
            "\(paid.customer.source):\(paid.account ?? "-"):invoice:\(paid.invoiceID)\(paid.paymentID.map { ":payment:\($0)" } ?? ""):paid"
        case .invoiceVoided(let voided):
            "\(voided.customer.source):\(voided.account ?? "-"):invoice:\(voided.invoiceID)\(voided.paymentID.map { ":payment:\($0)" } ?? ""):voided"
        case .creditIssued(let credit):
            "\(credit.customer.source):\(credit.account ?? "-"):credit:\(credit.creditID)"
        case .agreementCreated(let agreement):
            "\(agreement.customer.source):\(agreement.account ?? "-"):agreement:\(agreement.agreementID):created"
        case .agreementChanged(let change):
            "\(change.customer.source):\(change.account ?? "-"):agreement:\(change.agreementID):changed:\(Int64(change.effectiveAt.timeIntervalSince1970))"
        case .agreementCancelled(let cancelled):
            "\(cancelled.source):\(cancelled.account ?? "-"):agreement:\(cancelled.agreementID):cancelled"
        case .clientSigned(let signed):
            "\(signed.customer.source):-:customer:\(signed.customer.id):signed"
        case .customerSeen(let seen):
            "\(seen.customer.source):-:customer:\(seen.customer.id):seen"
        }
    }

    /// The customer the event is about, when the vendor names one.
    public var customer: CustomerReference? {
        switch self {
        case .invoicePaid(let event): event.customer
        case .invoiceVoided(let event): event.customer
        case .creditIssued(let event): event.customer
        case .agreementCreated(let event): event.customer
        case .agreementChanged(let event): event.customer
        case .agreementCancelled(let event): event.customer
        case .clientSigned(let event): event.customer
        case .customerSeen(let event): event.customer
        }
    }

    /// When the event happened at the vendor (not when it reached the gateway), if the vendor says.
    public var occurredAt: Date? {
        switch self {
        case .invoicePaid(let event): event.paidAt
        case .invoiceVoided(let event): event.voidedAt
        case .creditIssued(let event): event.issuedAt
        case .agreementCreated(let event): event.startDate
        case .agreementChanged(let event): event.effectiveAt
        case .agreementCancelled(let event): event.endDate
        case .clientSigned(let event): event.signedAt
        case .customerSeen(let event): event.seenAt
        }
    }
}

extension BusinessEvent: Codable {
    private enum KindKey: String, CodingKey { case kind }

    public init(from decoder: any Decoder) throws {
        switch try decoder.container(keyedBy: KindKey.self).decode(Kind.self, forKey: .kind) {
        case .invoicePaid: self = .invoicePaid(try InvoicePaid(from: decoder))
        case .invoiceVoided: self = .invoiceVoided(try InvoiceVoided(from: decoder))
        case .creditIssued: self = .creditIssued(try CreditIssued(from: decoder))
        case .agreementCreated: self = .agreementCreated(try AgreementCreated(from: decoder))
        case .agreementChanged: self = .agreementChanged(try AgreementChanged(from: decoder))
        case .agreementCancelled: self = .agreementCancelled(try AgreementCancelled(from: decoder))
        case .clientSigned: self = .clientSigned(try ClientSigned(from: decoder))
        case .customerSeen: self = .customerSeen(try CustomerSeen(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: KindKey.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case .invoicePaid(let event): try event.encode(to: encoder)
        case .invoiceVoided(let event): try event.encode(to: encoder)
        case .creditIssued(let event): try event.encode(to: encoder)
        case .agreementCreated(let event): try event.encode(to: encoder)
        case .agreementChanged(let event): try event.encode(to: encoder)
        case .agreementCancelled(let event): try event.encode(to: encoder)
        case .clientSigned(let event): try event.encode(to: encoder)
        case .customerSeen(let event): try event.encode(to: encoder)
        }
    }
}
