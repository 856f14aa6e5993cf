public import Foundation
public import GatewayCore

/// Where a delivery is in its life.
public enum DeliveryStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Verified and stored; waiting for the processor.
    case stored
    /// Mapped and applied to the ledger.
    case processed
    /// Verified, kept, and deliberately left out of the ledger (an unmapped event type).
    case ignored
    /// Verified and kept, but could not be mapped or applied; the reason says why.
    case failed
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
}

/// How the processor settled a delivery.
public enum ProcessingResult: Sendable, Hashable {
    /// The adapter mapped the delivery to these events; the ledger applies them.
    case mapped([BusinessEvent], adapterVersion: Int)
    case ignored(reason: String, adapterVersion: Int)
    case failed(reason: String, adapterVersion: Int?)
}
