import Foundation
import GatewayCore
import GatewayRepositories
import PostgresNIO

extension StoredDelivery {
    /// A `delivery` row (every column) as the inbox hands it out.
    init(postgres row: PostgresRow) throws {
        let row = row.makeRandomAccess()
        self.init(
            id: DeliveryID(try row["id"].decode(Int64.self)),
            source: try row["source"].decode(String.self),
            vendorDeliveryID: try row["vendor_delivery_id"].decode(String.self),
            eventType: try row["event_type"].decode(String?.self),
            receivedAt: try row["received_at"].decode(Date.self),
            requestID: try row["request_id"].decode(String?.self),
            body: try row["body"].decode(Data.self),
            headers: try ColumnJSON.value([String: String].self, from: row["headers"].decode(String.self)),
            verification: try ColumnJSON.value(Verification.self, from: row["verification"].decode(String.self)),
            status: DeliveryStatus(rawValue: try row["status"].decode(String.self)) ?? .failed,
            statusReason: try row["status_reason"].decode(String?.self),
            adapterVersion: try row["adapter_version"].decode(Int?.self),
            processedAt: try row["processed_at"].decode(Date?.self),
            attempts: try row["attempts"].decode(Int.self),
            nextAttemptAt: try row["next_attempt_at"].decode(Date?.self),
            duplicateCount: try row["duplicate_count"].decode(Int.self),
            lastDuplicateAt: try row["last_duplicate_at"].decode(Date?.self),
            bodyPrunedAt: try row["body_pruned_at"].decode(Date?.self))
    }
}
