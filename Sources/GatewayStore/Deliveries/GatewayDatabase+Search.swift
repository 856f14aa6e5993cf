public import Foundation
public import GatewayCore
import GRDB

/// Which deliveries to list or replay. Every field narrows the search; none means all.
public struct DeliveryQuery: Sendable, Hashable {
    public var source: String?
    public var statuses: [DeliveryStatus]
    /// Only deliveries the vendor retried after they were stored.
    public var duplicatesOnly: Bool
    public var eventType: String?
    public var vendorDeliveryID: String?
    /// A customer as `<source>:<id>`: deliveries whose events name it.
    public var customer: String?
    public var receivedFrom: Date?
    public var receivedBefore: Date?
    /// Paging: only deliveries with a smaller id (the last id of the previous page).
    public var beforeID: Int64?
    public var limit: Int

    public init(
        source: String? = nil, statuses: [DeliveryStatus] = [], duplicatesOnly: Bool = false, eventType: String? = nil,
        vendorDeliveryID: String? = nil, customer: String? = nil, receivedFrom: Date? = nil, receivedBefore: Date? = nil, beforeID: Int64? = nil,
        limit: Int = 100
    ) {
        self.source = source
        self.statuses = statuses
        self.duplicatesOnly = duplicatesOnly
        self.eventType = eventType
        self.vendorDeliveryID = vendorDeliveryID
        self.customer = customer
        self.receivedFrom = receivedFrom
        self.receivedBefore = receivedBefore
        self.beforeID = beforeID
        self.limit = limit
    }

    /// The SQL condition and its arguments.
    var condition: (String, [(any DatabaseValueConvertible)?]) {
        var clauses: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let source { clauses.append("source = ?"); arguments.append(source) }
        if !statuses.isEmpty {
            clauses.append("status IN (\(Array(repeating: "?", count: statuses.count).joined(separator: ", ")))")
            arguments += statuses.map(\.rawValue)
        }
        if duplicatesOnly { clauses.append("duplicate_count > 0") }
        if let eventType { clauses.append("event_type = ?"); arguments.append(eventType) }
        if let vendorDeliveryID { clauses.append("vendor_delivery_id = ?"); arguments.append(vendorDeliveryID) }
        if let customer {
            let parts = customer.split(separator: ":", maxSplits: 1).map(String.init)
            let key = parts.count == 2 ? ReferralMatchKey.vendor(source: parts[0], id: parts[1]).storageKey : customer
            clauses.append("id IN (SELECT delivery_id FROM business_event WHERE customer_key = ?)")
            arguments.append(key)
        }
        if let receivedFrom { clauses.append("received_at >= ?"); arguments.append(receivedFrom) }
        if let receivedBefore { clauses.append("received_at < ?"); arguments.append(receivedBefore) }
        if let beforeID { clauses.append("id < ?"); arguments.append(beforeID) }
        return (clauses.isEmpty ? "1" : clauses.joined(separator: " AND "), arguments)
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

extension GatewayDatabase {
    /// Deliveries matching `query`, newest first.
    public func deliveries(matching query: DeliveryQuery) async throws -> [StoredDelivery] {
        try await pool.read { db in
            let (condition, arguments) = query.condition
            return try Row.fetchAll(
                db, sql: "SELECT * FROM delivery WHERE \(condition) ORDER BY id DESC LIMIT ?",
                arguments: StatementArguments(arguments + [max(1, query.limit)])
            ).map(StoredDelivery.init(row:))
        }
    }

    /// The ids of every delivery matching `query` (its limit ignored), oldest first: what a replay covers.
    public func deliveryIDs(matching query: DeliveryQuery) async throws -> [DeliveryID] {
        try await pool.read { db in
            let (condition, arguments) = query.condition
            return try Int64.fetchAll(db, sql: "SELECT id FROM delivery WHERE \(condition) ORDER BY id", arguments: StatementArguments(arguments))
                .map(DeliveryID.init)
        }
    }

    /// Keeps a refusal's metadata, so "why did the vendor get a 401?" has an answer.
    public func recordRejection(_ rejection: Rejection) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO rejection (at, source, code, reason, status, size, remote_address, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    rejection.at, rejection.source, rejection.code, rejection.reason, rejection.status, rejection.size, rejection.remoteAddress,
                    rejection.requestID,
                ])
        }
    }

    /// Refusals, newest first, optionally of one source or code and since a time.
    public func rejections(source: String? = nil, code: String? = nil, since: Date? = nil, limit: Int = 100) async throws -> [Rejection] {
        try await pool.read { db in
            var clauses = ["1"]
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let source { clauses.append("source = ?"); arguments.append(source) }
            if let code { clauses.append("code = ?"); arguments.append(code) }
            if let since { clauses.append("at >= ?"); arguments.append(since) }
            return try Row.fetchAll(
                db, sql: "SELECT * FROM rejection WHERE \(clauses.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?",
                arguments: StatementArguments(arguments + [limit])
            ).map { row in
                Rejection(
                    at: row["at"], source: row["source"], code: row["code"], reason: row["reason"], status: row["status"], size: row["size"],
                    remoteAddress: row["remote_address"], requestID: row["request_id"])
            }
        }
    }

    /// Counts of deliveries by source and status, and of rejections by source and code.
    public func deliveryCounts() async throws -> (deliveries: [String: [String: Int]], rejections: [String: [String: Int]]) {
        try await pool.read { db in
            var deliveries: [String: [String: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT source, status, COUNT(*) AS n FROM delivery GROUP BY source, status") {
                deliveries[row["source"], default: [:]][row["status"]] = row["n"]
            }
            var rejections: [String: [String: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT source, code, COUNT(*) AS n FROM rejection GROUP BY source, code") {
                rejections[row["source"], default: [:]][row["code"]] = row["n"]
            }
            return (deliveries, rejections)
        }
    }
}
