import Foundation
import GRDB
import GatewayCore
import GatewayRepositories
import Synchronization

/// Appends verified deliveries with group commit: one writer task drains every request waiting
/// at that moment into one transaction, and each caller resumes only after that transaction has
/// committed (and, with `synchronous = FULL`, been fsynced).
///
/// By default nothing waits on a timer: a lone delivery is written at once; under load, deliveries
/// that arrive while a transaction commits share the next one, so the fsync cost is spread over
/// them. A `linger` makes the writer wait that long before a transaction that is not yet full, so
/// batches grow under load at the price of that much latency for every delivery.
final class GroupCommitInbox: Sendable {
    private typealias Waiter = (delivery: EncodedDelivery, continuation: CheckedContinuation<IngestOutcome, any Error>)

    private struct State {
        var waiting: [Waiter] = []
        var writerRunning = false
    }

    private let writer: any DatabaseWriter
    private let maxBatch: Int
    private let linger: Duration
    private let state = Mutex(State())

    init(writer: any DatabaseWriter, maxBatch: Int, linger: Duration = .zero) {
        self.writer = writer
        self.maxBatch = max(1, maxBatch)
        self.linger = max(.zero, linger)
    }

    func append(_ delivery: IncomingDelivery) async throws -> IngestOutcome {
        // The JSON columns are encoded here, on the request's own task, so the single writer
        // only writes.
        let delivery = try EncodedDelivery(delivery)
        return try await withCheckedThrowingContinuation { continuation in
            let startWriter = state.withLock { state in
                state.waiting.append((delivery, continuation))
                guard !state.writerRunning else { return false }
                state.writerRunning = true
                return true
            }
            if startWriter {
                Task { await self.writeUntilEmpty() }
            }
        }
    }

    private func writeUntilEmpty() async {
        while true {
            if linger > .zero, state.withLock({ $0.waiting.count < maxBatch }) {
                try? await Task.sleep(for: linger)
            }
            let batch = state.withLock { state -> [Waiter] in
                guard !state.waiting.isEmpty else {
                    state.writerRunning = false
                    return []
                }
                let count = min(maxBatch, state.waiting.count)
                let batch = Array(state.waiting.prefix(count))
                state.waiting.removeFirst(count)
                return batch
            }
            if batch.isEmpty { return }
            do {
                let deliveries = batch.map(\.delivery)
                let outcomes = try await writer.write { db in try deliveries.map { try Self.insert($0, db) } }
                for (waiter, outcome) in zip(batch, outcomes) { waiter.continuation.resume(returning: outcome) }
            } catch {
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }

    private static func insert(_ encoded: EncodedDelivery, _ db: Database) throws -> IngestOutcome {
        let delivery = encoded.delivery
        // Looked up first rather than left to the UNIQUE constraint, so a retry does not burn a row id.
        let existing = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT id FROM delivery WHERE source = ? AND vendor_delivery_id = ?"),
            arguments: [delivery.source, delivery.vendorDeliveryID])
        if let existing {
            try db.cachedStatement(sql: "UPDATE delivery SET duplicate_count = duplicate_count + 1, last_duplicate_at = ? WHERE id = ?")
                .execute(arguments: [delivery.receivedAt, existing])
            return .duplicate(DeliveryID(existing))
        }
        try db.cachedStatement(sql: """
            INSERT INTO delivery (source, vendor_delivery_id, event_type, received_at, request_id, body, headers, verification, status)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'stored')
            """
        ).execute(arguments: [
            delivery.source, delivery.vendorDeliveryID, delivery.eventType, delivery.receivedAt, delivery.requestID,
            delivery.body, encoded.headers, encoded.verification,
        ])
        return .stored(DeliveryID(db.lastInsertedRowID))
    }
}

/// A delivery with its JSON columns already encoded.
private struct EncodedDelivery: Sendable {
    var delivery: IncomingDelivery
    var headers: String
    var verification: String

    init(_ delivery: IncomingDelivery) throws {
        self.delivery = delivery
        headers = try ColumnJSON.text(delivery.headers)
        verification = try ColumnJSON.text(delivery.verification)
    }
}
