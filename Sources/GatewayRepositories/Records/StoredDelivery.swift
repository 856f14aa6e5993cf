public import Foundation
public import GatewayCore

/// Where a delivery is in its life.
public enum DeliveryStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Verified and stored; waiting for the processor.
    case stored
    /// Claimed by a processor until its lease ends (a crashed processor's work is reclaimed then).
    case processing
    /// Mapped and applied to the ledger.
    case processed
    /// Verified, kept, and deliberately left out of the ledger (an unmapped event type).
    case ignored
    /// Verified and kept, but could not be mapped or applied; the reason says why. Permanent:
    /// replay it once the cause is fixed.
    case failed
    /// A transient failure (a vendor API down); retried with backoff at `nextAttemptAt`.
    case retrying
    /// Retried up to the limit without success; replay it once the vendor is back.
    case dead
}

/// A delivery as the inbox holds it.
public struct StoredDelivery: Sendable, Hashable, Identifiable {
    public var id: DeliveryID
    public var source: String
    public var vendorDeliveryID: String
    public var eventType: String?
    public var receivedAt: Date
    public var requestID: String?
    public var body: Data
    public var headers: [String: String]
    public var verification: Verification
    public var status: DeliveryStatus
    public var statusReason: String?
    public var adapterVersion: Int?
    public var processedAt: Date?
    public var attempts: Int
    public var nextAttemptAt: Date?
    /// How many retries of this delivery the vendor sent after it was stored.
    public var duplicateCount: Int
    public var lastDuplicateAt: Date?
    /// When retention removed the raw body (metadata, events and ledger effects stay).
    public var bodyPrunedAt: Date?

    public init(
        id: DeliveryID, source: String, vendorDeliveryID: String, eventType: String?, receivedAt: Date, requestID: String?, body: Data,
        headers: [String: String], verification: Verification, status: DeliveryStatus, statusReason: String?, adapterVersion: Int?,
        processedAt: Date?, attempts: Int, nextAttemptAt: Date?, duplicateCount: Int, lastDuplicateAt: Date?, bodyPrunedAt: Date?
    ) {
        self.id = id
        self.source = source
        self.vendorDeliveryID = vendorDeliveryID
        self.eventType = eventType
        self.receivedAt = receivedAt
        self.requestID = requestID
        self.body = body
        self.headers = headers
        self.verification = verification
        self.status = status
        self.statusReason = statusReason
        self.adapterVersion = adapterVersion
        self.processedAt = processedAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.duplicateCount = duplicateCount
        self.lastDuplicateAt = lastDuplicateAt
        self.bodyPrunedAt = bodyPrunedAt
    }
}

/// How the processor settled a delivery.
public enum ProcessingResult: Sendable, Hashable {
    /// The adapter mapped the delivery to these events; the ledger applies them.
    case mapped([BusinessEvent], adapterVersion: Int)
    case ignored(reason: String, adapterVersion: Int)
    /// A permanent failure: malformed payload, missing field, unknown mapping.
    case failed(reason: String, adapterVersion: Int?)
    /// A transient failure, to be tried again at `at`.
    case retry(reason: String, adapterVersion: Int?, at: Date)
    /// A transient failure that used up its retries.
    case dead(reason: String, adapterVersion: Int?)
}
