import Foundation
public import GatewayCore
public import GatewayRepositories

/// Which deliveries an admin asks for, as typed in a query string, a command's flags, a console
/// form or a replay's body: one reading of statuses, customers and dates for all of them. Empty
/// texts mean "any".
public struct DeliveryFilter: Sendable, Hashable, Decodable {
    public var source: String?
    /// Delivery statuses, and `duplicate` for deliveries the vendor retried.
    public var statuses: [String]
    public var eventType: String?
    public var vendorID: String?
    /// `<source>:<id>`, e.g. `stripe:cus_123`.
    public var customer: String?
    /// A day or an ISO 8601 timestamp.
    public var from: String?
    /// A day (included) or an ISO 8601 timestamp (excluded).
    public var to: String?

    public init(
        source: String? = nil, statuses: [String] = [], eventType: String? = nil, vendorID: String? = nil, customer: String? = nil,
        from: String? = nil, to: String? = nil
    ) {
        self.source = source
        self.statuses = statuses
        self.eventType = eventType
        self.vendorID = vendorID
        self.customer = customer
        self.from = from
        self.to = to
    }

    enum CodingKeys: String, CodingKey {
        case source, from, to, customer
        case statuses = "status"
        case eventType = "event_type"
        case vendorID = "vendor_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            source: try container.decodeIfPresent(String.self, forKey: .source),
            statuses: try container.decodeIfPresent([String].self, forKey: .statuses) ?? [],
            eventType: try container.decodeIfPresent(String.self, forKey: .eventType),
            vendorID: try container.decodeIfPresent(String.self, forKey: .vendorID),
            customer: try container.decodeIfPresent(String.self, forKey: .customer), from: try container.decodeIfPresent(String.self, forKey: .from),
            to: try container.decodeIfPresent(String.self, forKey: .to))
    }

    /// The query, or `GatewayError.invalid` naming what does not read.
    public func query(beforeID: Int64? = nil, limit: Int = 100) throws(GatewayError) -> DeliveryQuery {
        func given(_ text: String?) -> String? { text.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
        var kept: [DeliveryStatus] = []
        var duplicates = false
        for text in statuses.map({ $0.trimmingCharacters(in: .whitespaces) }) where !text.isEmpty {
            if text == "duplicate" {
                duplicates = true
            } else if let status = DeliveryStatus(rawValue: text) {
                kept.append(status)
            } else {
                throw .invalid(
                    "status must be among \((DeliveryStatus.allCases.map(\.rawValue) + ["duplicate"]).joined(separator: ", ")); refused requests are at /admin/rejections")
            }
        }
        return DeliveryQuery(
            source: given(source), statuses: kept, duplicatesOnly: duplicates, eventType: given(eventType), vendorDeliveryID: given(vendorID),
            customerKey: try given(customer).map { text throws(GatewayError) in try ProgramValidation.customerKey(text) },
            receivedFrom: try DateInput.parseIfPresent(given(from), field: "from"), receivedBefore: try DateInput.parseEndIfPresent(given(to), field: "to"),
            beforeID: beforeID, limit: min(max(limit, 1), 1000))
    }
}
