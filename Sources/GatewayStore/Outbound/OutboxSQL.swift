import Foundation
import GRDB
import GatewayCore
import GatewayRepositories

/// Writing to the outbox inside the transaction of the change that causes it: the engine's rules
/// turn the change into events, each event is stored once, and every endpoint subscribed to its
/// type gets a message queued for now (a disabled endpoint's wait until it is enabled again).
enum OutboxSQL {
    /// Appends the events `rules` make of `changes`.
    static func announce(_ changes: [OutboundChange], _ rules: any OutboundEventRules, at now: Date, _ db: Database) throws {
        guard !changes.isEmpty else { return }
        try append(rules.events(for: changes, at: now), at: now, db)
    }

    static func append(_ events: [OutboundEvent], at now: Date, _ db: Database) throws {
        for event in events {
            try db.cachedStatement(
                sql: """
                    INSERT INTO outbound_event (event_id, type, subject, dedup_key, occurred_at, payload) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (dedup_key) DO NOTHING
                    """
            ).execute(arguments: [event.id, event.type.rawValue, event.subject, event.dedupKey, event.occurredAt, event.payload])
            // Already announced (its dedup key is in the outbox): nothing new to send.
            guard db.changesCount == 1 else { continue }
            try db.cachedStatement(
                sql: """
                    INSERT INTO outbound_message (event_id, endpoint_id, status, next_attempt_at, created_at)
                    SELECT ?, id, 'pending', ?, ? FROM webhook_endpoint
                    WHERE event_types = '[]' OR EXISTS (SELECT 1 FROM json_each(webhook_endpoint.event_types) WHERE value = ?)
                    """
            ).execute(arguments: [db.lastInsertedRowID, now, now, event.type.rawValue])
        }
    }
}
