public import Foundation
public import GatewayCore

/// A verified request, as ingest hands it to the inbox.
public struct IncomingDelivery: Sendable {
    public var source: String
    /// The vendor's id for the delivery (or one derived from the body); unique per source.
    public var vendorDeliveryID: String
    public var eventType: String?
    public var receivedAt: Date
    public var requestID: String?
    /// The raw bytes, exactly as received and verified.
    public var body: Data
    /// The headers the adapter keeps (lower-cased names).
    public var headers: [String: String]
    public var verification: Verification

    public init(
        source: String, vendorDeliveryID: String, eventType: String?, receivedAt: Date, requestID: String?,
        body: Data, headers: [String: String], verification: Verification
    ) {
        self.source = source
        self.vendorDeliveryID = vendorDeliveryID
        self.eventType = eventType
        self.receivedAt = receivedAt
        self.requestID = requestID
        self.body = body
        self.headers = headers
        self.verification = verification
    }
}

/// What the inbox did with a delivery; both answer the vendor 2xx.
public enum IngestOutcome: Sendable, Hashable {
    /// Newly stored and committed.
    case stored(DeliveryID)
    /// Already stored under the same vendor delivery id; nothing new was written.
    case duplicate(DeliveryID)

    public var deliveryID: DeliveryID {
        switch self {
        case .stored(let id), .duplicate(let id): id
        }
    }
}
