public import Foundation

/// A vendor now lists the customer as a client (an Autotask company whose type became Customer).
public struct ClientSigned: Hashable, Sendable, Codable {
    public var customer: CustomerReference
    public var signedAt: Date

    public init(customer: CustomerReference, signedAt: Date) {
        self.customer = customer
        self.signedAt = signedAt
    }

    enum CodingKeys: String, CodingKey {
        case customer
        case signedAt = "signed_at"
    }
}

/// A vendor told us something about a customer (a company or contact record): only for matching.
public struct CustomerSeen: Hashable, Sendable, Codable {
    public var customer: CustomerReference
    public var seenAt: Date

    public init(customer: CustomerReference, seenAt: Date) {
        self.customer = customer
        self.seenAt = seenAt
    }

    enum CodingKeys: String, CodingKey {
        case customer
        case seenAt = "seen_at"
    }
}
