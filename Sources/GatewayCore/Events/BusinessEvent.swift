public import Foundation

/// What an adapter turns a vendor payload into, and the only thing the ledger reads.
///
/// Encoded flat, with a `kind` beside the event's own fields, so stored events and the expected
/// events beside each fixture read like the vendor payloads they came from.
public enum BusinessEvent: Hashable, Sendable {
    case invoicePaid(InvoicePaid)

    /// The kinds an adapter definition may `emit`.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case invoicePaid = "invoice_paid"
    }

    public var kind: Kind {
        switch self {
        case .invoicePaid: .invoicePaid
        }
    }

    /// The second idempotency layer: one key per business effect, whatever delivery carried it.
    ///
    /// Stripe sends `invoice.paid` and `invoice.payment_succeeded` (two event ids) for one
    /// payment; both carry the same key, so the ledger accrues once.
    public var businessKey: String {
        switch self {
        case .invoicePaid(let paid):
            "\(paid.customer.source):\(paid.account ?? "-"):invoice:\(paid.invoiceID):paid"
        }
    }

    /// The customer the event is about.
    public var customer: CustomerReference {
        switch self {
        case .invoicePaid(let paid): paid.customer
        }
    }

    /// When the event happened at the vendor (not when it reached the gateway).
    public var occurredAt: Date {
        switch self {
        case .invoicePaid(let paid): paid.paidAt
        }
    }
}

extension BusinessEvent: Codable {
    private enum KindKey: String, CodingKey { case kind }

    public init(from decoder: any Decoder) throws {
        let kind = try decoder.container(keyedBy: KindKey.self).decode(Kind.self, forKey: .kind)
        switch kind {
        case .invoicePaid: self = .invoicePaid(try InvoicePaid(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: KindKey.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case .invoicePaid(let paid): try paid.encode(to: encoder)
        }
    }
}
