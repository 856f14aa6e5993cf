import Foundation
import GatewayCore
import GatewayRepositories

/// A delivery as the admin API shows it; the body only when one delivery is inspected.
struct DeliveryView: Encodable {
    var id: Int64
    var source: String
    var vendorDeliveryID: String
    var eventType: String?
    var receivedAt: Date
    var requestID: String?
    var status: DeliveryStatus
    var statusReason: String?
    var adapterVersion: Int?
    var processedAt: Date?
    var verification: Verification
    var headers: [String: String]?
    /// The raw body as UTF-8 text, or base64 with `body_encoding: base64` when it is not UTF-8.
    var body: String?
    var bodyEncoding: String?
    var events: [EventView]?
    /// The accrual lines the delivery's events produced, side by side with them.
    var accruals: [AccrualView]?

    struct EventView: Encodable {
        var event: BusinessEvent
        var adapterVersion: Int
        var explanation: String

        enum CodingKeys: String, CodingKey {
            case event, explanation
            case adapterVersion = "adapter_version"
        }
    }

    init(_ delivery: StoredDelivery, detail: [RecordedBusinessEvent]? = nil, accruals: [AccrualView]? = nil) {
        id = delivery.id.rawValue
        source = delivery.source
        vendorDeliveryID = delivery.vendorDeliveryID
        eventType = delivery.eventType
        receivedAt = delivery.receivedAt
        requestID = delivery.requestID
        status = delivery.status
        statusReason = delivery.statusReason
        adapterVersion = delivery.adapterVersion
        processedAt = delivery.processedAt
        verification = delivery.verification
        self.accruals = accruals
        guard let detail else { return }
        headers = delivery.headers
        if let text = String(validating: delivery.body, as: UTF8.self) {
            body = text
            bodyEncoding = "utf-8"
        } else {
            body = delivery.body.base64EncodedString()
            bodyEncoding = "base64"
        }
        events = detail.map { EventView(event: $0.event, adapterVersion: $0.adapterVersion, explanation: $0.explanation) }
    }

    enum CodingKeys: String, CodingKey {
        case id, source, status, verification, headers, body, events, accruals
        case vendorDeliveryID = "vendor_delivery_id"
        case eventType = "event_type"
        case receivedAt = "received_at"
        case requestID = "request_id"
        case statusReason = "status_reason"
        case adapterVersion = "adapter_version"
        case processedAt = "processed_at"
        case bodyEncoding = "body_encoding"
    }
}
