import Foundation
import GatewayCore
import GatewayRepositories
import Logging
import PostgresNIO

/// Writing to the outbox inside the transaction of the change that causes it, as the SQLite store
/// does: the engine's rules turn the change into events, each event is stored once, and every
/// endpoint subscribed to its type gets a message queued for now (a disabled endpoint's wait until
/// it is enabled again). The event commits exactly when its change does, and a change that rolls
/// back leaves no event.
enum PostgresOutbox {
    /// The `NOTIFY` channel a transaction that queued messages signals on: delivered at its commit
    /// (never for a rollback) to every instance listening, which wakes its dispatcher. Channels are
    /// per database, so the payload names the schema written and listeners ignore other schemas'.
    static let channel = "gateway_outbound"

    /// Appends the events `rules` make of `changes`.
    static func announce(
        _ changes: [OutboundChange], _ rules: any OutboundEventRules, at now: Date, _ connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !changes.isEmpty else { return }
        try await append(rules.events(for: changes, at: now), at: now, connection, logger: logger)
    }

    static func append(_ events: [OutboundEvent], at now: Date, _ connection: PostgresConnection, logger: Logger) async throws {
        var queued = false
        for event in events {
            // A dedup key already in the outbox (this event was announced before): nothing new to
            // send. When another instance is inserting the same key, this waits for its commit.
            guard
                let row = try await connection.execute(
                    """
                    INSERT INTO outbound_event (event_id, type, subject, dedup_key, occurred_at, payload)
                    VALUES (\(event.id), \(event.type.rawValue), \(event.subject), \(event.dedupKey), \(event.occurredAt), \(event.payload))
                    ON CONFLICT (dedup_key) DO NOTHING RETURNING id
                    """, logger: logger
                ).first
            else { continue }
            let sequence = try row.decode(Int64.self)
            let messages = try await connection.execute(
                """
                INSERT INTO outbound_message (event_id, endpoint_id, status, next_attempt_at, created_at)
                SELECT \(sequence), id, 'pending', \(now), \(now) FROM webhook_endpoint
                WHERE event_types = '[]' OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(webhook_endpoint.event_types::jsonb) t WHERE t = \(event.type.rawValue))
                RETURNING id
                """, logger: logger)
            queued = queued || !messages.isEmpty
        }
        if queued { try await notifyQueued(connection, logger: logger) }
    }

    /// A delivery as the `delivery.settled` change tells it: its metadata and outcome, never its body.
    static func settledDelivery(_ id: DeliveryID, _ connection: PostgresConnection, logger: Logger) async throws -> SettledDelivery? {
        guard
            let row = try await connection.execute(
                "SELECT id, source, vendor_delivery_id, event_type, received_at, status, status_reason, attempts FROM delivery WHERE id = \(id.rawValue)",
                logger: logger
            ).first
        else { return nil }
        let (delivery, source, vendorID, eventType, receivedAt, status, reason, attempts) =
            try row.decode((Int64, String, String, String?, Date, String, String?, Int).self)
        return SettledDelivery(
            id: DeliveryID(delivery), source: source, vendorDeliveryID: vendorID, eventType: eventType, receivedAt: receivedAt,
            status: DeliveryStatus(rawValue: status) ?? .failed, reason: reason, attempts: attempts)
    }

    /// Tells listening dispatchers (of every instance) that messages are due, at this transaction's commit.
    static func notifyQueued(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.execute("SELECT pg_notify(\(channel), current_schema())", logger: logger)
    }
}

/// Rules that make no event: what a repository built without the engine's rules (in tests of
/// other concerns) announces. `PostgresStore` always has the engine's.
struct NoOutboundEvents: OutboundEventRules {
    func events(for changes: [OutboundChange], at now: Date) -> [OutboundEvent] { [] }
    func events(forTimePassing candidates: OutboundTimeCandidates) -> [OutboundEvent] { [] }
}
