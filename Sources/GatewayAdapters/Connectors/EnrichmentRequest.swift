public import Foundation

/// An entity a thin notification names but does not carry: the processor fetches it from the
/// vendor's API (after the delivery was acknowledged) and hands it back to the adapter.
public struct EnrichmentRequest: Sendable, Hashable, Codable {
    /// The connector that knows how to fetch and map it (`quickbooks`).
    public var connector: String
    /// The vendor account (a QuickBooks realm / company id).
    public var account: String
    /// The entity type as the vendor names it (`Payment`).
    public var entity: String
    public var id: String
    /// What happened to it (`Create`, `Update`, `Void`, `Delete`, …).
    public var operation: String
    public var occurredAt: Date?

    public init(connector: String, account: String, entity: String, id: String, operation: String, occurredAt: Date?) {
        self.connector = connector
        self.account = account
        self.entity = entity
        self.id = id
        self.operation = operation
        self.occurredAt = occurredAt
    }

    /// Deleted entities cannot be fetched; the connector maps them from the notification alone.
    public var needsFetch: Bool { operation.lowercased() != "delete" && operation.lowercased() != "deleted" }

    enum CodingKeys: String, CodingKey {
        case connector, account, entity, id, operation
        case occurredAt = "occurred_at"
    }
}

/// What the processor fetched for a request: the entity and, when it names a customer, the
/// customer record (for the email and web domain that match it to a referral).
public struct FetchedEntity: Sendable, Hashable {
    public var request: EnrichmentRequest
    /// The entity's JSON as the API returned it; `nil` for deletions.
    public var entity: JSONValue?
    public var customer: JSONValue?

    public init(request: EnrichmentRequest, entity: JSONValue?, customer: JSONValue? = nil) {
        self.request = request
        self.entity = entity
        self.customer = customer
    }
}
