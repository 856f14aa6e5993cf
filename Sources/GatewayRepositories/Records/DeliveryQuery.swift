public import Foundation

/// Which deliveries to list or replay. Every field narrows the search; none means all.
public struct DeliveryQuery: Sendable, Hashable {
    public var source: String?
    public var statuses: [DeliveryStatus]
    /// Only deliveries the vendor retried after they were stored.
    public var duplicatesOnly: Bool
    public var eventType: String?
    public var vendorDeliveryID: String?
    /// Deliveries whose events name this customer (`vendor:<source>:<id>`).
    public var customerKey: String?
    public var receivedFrom: Date?
    public var receivedBefore: Date?
    /// Paging: only deliveries with a smaller id (the last id of the previous page).
    public var beforeID: Int64?
    public var limit: Int

    public init(
        source: String? = nil, statuses: [DeliveryStatus] = [], duplicatesOnly: Bool = false, eventType: String? = nil,
        vendorDeliveryID: String? = nil, customerKey: String? = nil, receivedFrom: Date? = nil, receivedBefore: Date? = nil, beforeID: Int64? = nil,
        limit: Int = 100
    ) {
        self.source = source
        self.statuses = statuses
        self.duplicatesOnly = duplicatesOnly
        self.eventType = eventType
        self.vendorDeliveryID = vendorDeliveryID
        self.customerKey = customerKey
        self.receivedFrom = receivedFrom
        self.receivedBefore = receivedBefore
        self.beforeID = beforeID
        self.limit = limit
    }
}

/// How many requests of one source were refused with one code.
public struct RejectionCount: Sendable, Hashable, Codable {
    public var source: String
    public var code: String
    public var count: Int

    public init(source: String, code: String, count: Int) {
        self.source = source
        self.code = code
        self.count = count
    }
}

/// A request refused at ingest, kept as metadata only: never the body, never a secret.
public struct Rejection: Sendable, Hashable, Codable {
    public var at: Date
    public var source: String
    /// The error code the vendor was sent (`no_signature_matched`, `body_too_large`, …).
    public var code: String
    public var reason: String
    public var status: Int
    public var size: Int?
    public var remoteAddress: String?
    public var requestID: String?

    public init(at: Date, source: String, code: String, reason: String, status: Int, size: Int?, remoteAddress: String?, requestID: String?) {
        self.at = at
        self.source = source
        self.code = code
        self.reason = reason
        self.status = status
        self.size = size
        self.remoteAddress = remoteAddress
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case at, source, code, reason, status, size
        case remoteAddress = "remote_address"
        case requestID = "request_id"
    }
}
