import Foundation
import GRDB
import GatewayCore
import GatewayRepositories

/// Outbound endpoints and their secrets in the SQLite file.
struct SQLiteWebhookEndpointRepository: WebhookEndpointRepository {
    let writer: any DatabaseWriter

    /// Endpoint rows with when the current secret was made and when the last rotated-out one stops.
    static let endpointSelect = """
        SELECT e.*,
            (SELECT MAX(s.created_at) FROM webhook_endpoint_secret s WHERE s.endpoint_id = e.id AND s.expires_at IS NULL) AS secret_created_at,
            (SELECT MAX(s.expires_at) FROM webhook_endpoint_secret s WHERE s.endpoint_id = e.id) AS previous_secret_expires_at
        FROM webhook_endpoint e
        """

    func addEndpoint(url: String, description: String?, eventTypes: [OutboundEventType], secret: String, at now: Date) async throws -> WebhookEndpoint {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO webhook_endpoint (url, description, event_types, created_at) VALUES (?, ?, ?, ?)",
                arguments: [url, description, try ColumnJSON.text(eventTypes.map(\.rawValue)), now])
            let id = WebhookEndpointID(db.lastInsertedRowID)
            try db.execute(
                sql: "INSERT INTO webhook_endpoint_secret (endpoint_id, secret, created_at) VALUES (?, ?, ?)", arguments: [id.rawValue, secret, now])
            try LedgerSQL.audit(
                "webhook_endpoint.created", subject: "webhook_endpoint:\(id)",
                detail: ["url": url, "events": eventTypes.map(\.rawValue).joined(separator: ",")], at: now, db)
            return try Self.endpoint(id, db)!
        }
    }

    func endpoints() async throws -> [WebhookEndpoint] {
        try await writer.read { db in try Row.fetchAll(db, sql: "\(Self.endpointSelect) ORDER BY e.id").map(WebhookEndpoint.init(row:)) }
    }

    func endpoint(_ id: WebhookEndpointID) async throws -> WebhookEndpoint? {
        try await writer.read { db in try Self.endpoint(id, db) }
    }

    static func endpoint(_ id: WebhookEndpointID, _ db: Database) throws -> WebhookEndpoint? {
        try Row.fetchOne(db, sql: "\(endpointSelect) WHERE e.id = ?", arguments: [id.rawValue]).map(WebhookEndpoint.init(row:))
    }

    func removeEndpoint(_ id: WebhookEndpointID, at now: Date) async throws {
        try await writer.write { db in
            let url = try Self.existing(id, db).url
            // Its messages and secrets go with it (ON DELETE CASCADE); the events stay in the outbox.
            try db.execute(sql: "DELETE FROM webhook_endpoint WHERE id = ?", arguments: [id.rawValue])
            try LedgerSQL.audit("webhook_endpoint.removed", subject: "webhook_endpoint:\(id)", detail: ["url": url], at: now, db)
        }
    }

    func rotateSecret(_ id: WebhookEndpointID, to secret: String, previousExpiresAt: Date, at now: Date) async throws -> WebhookEndpoint {
        try await writer.write { db in
            _ = try Self.existing(id, db)
            try db.execute(sql: "DELETE FROM webhook_endpoint_secret WHERE endpoint_id = ? AND expires_at IS NOT NULL", arguments: [id.rawValue])
            try db.execute(
                sql: "UPDATE webhook_endpoint_secret SET expires_at = ? WHERE endpoint_id = ? AND expires_at IS NULL",
                arguments: [previousExpiresAt, id.rawValue])
            try db.execute(
                sql: "INSERT INTO webhook_endpoint_secret (endpoint_id, secret, created_at) VALUES (?, ?, ?)", arguments: [id.rawValue, secret, now])
            try LedgerSQL.audit(
                "webhook_endpoint.secret_rotated", subject: "webhook_endpoint:\(id)",
                detail: ["previous_expires_at": previousExpiresAt.formatted(.iso8601)], at: now, db)
            return try Self.endpoint(id, db)!
        }
    }

    func disableEndpoint(_ id: WebhookEndpointID, reason: String, at now: Date) async throws -> WebhookEndpoint {
        try await writer.write { db in
            _ = try Self.existing(id, db)
            try Self.disable(id, reason: reason, at: now, db)
            return try Self.endpoint(id, db)!
        }
    }

    /// Stops sending to an endpoint (an admin's decision, or failing for too long).
    static func disable(_ id: WebhookEndpointID, reason: String, at now: Date, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE webhook_endpoint SET disabled_at = ?, disabled_reason = ? WHERE id = ? AND disabled_at IS NULL",
            arguments: [now, reason, id.rawValue])
        if db.changesCount == 1 {
            try LedgerSQL.audit("webhook_endpoint.disabled", subject: "webhook_endpoint:\(id)", detail: ["reason": reason], at: now, db)
        }
    }

    func enableEndpoint(_ id: WebhookEndpointID, at now: Date) async throws -> WebhookEndpoint {
        try await writer.write { db in
            _ = try Self.existing(id, db)
            try db.execute(
                sql: "UPDATE webhook_endpoint SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL WHERE id = ?",
                arguments: [id.rawValue])
            // What waited is due now, the oldest first (the dispatcher keeps the order).
            try db.execute(
                sql: "UPDATE outbound_message SET next_attempt_at = ? WHERE endpoint_id = ? AND status IN ('pending', 'retrying')",
                arguments: [now, id.rawValue])
            try LedgerSQL.audit("webhook_endpoint.enabled", subject: "webhook_endpoint:\(id)", detail: [:], at: now, db)
            return try Self.endpoint(id, db)!
        }
    }

    private static func existing(_ id: WebhookEndpointID, _ db: Database) throws -> WebhookEndpoint {
        guard let endpoint = try endpoint(id, db) else { throw GatewayError.notFound("webhook endpoint \(id) does not exist") }
        return endpoint
    }
}

extension WebhookEndpoint {
    init(row: Row) throws {
        let types = try ColumnJSON.value([String].self, from: row["event_types"])
        self.init(
            id: WebhookEndpointID(row["id"]), url: row["url"], description: row["description"],
            eventTypes: types.compactMap(OutboundEventType.init(rawValue:)), createdAt: row["created_at"],
            secretCreatedAt: (row["secret_created_at"] as Date?) ?? row["created_at"], previousSecretExpiresAt: row["previous_secret_expires_at"],
            disabledAt: row["disabled_at"], disabledReason: row["disabled_reason"], failingSince: row["failing_since"])
    }
}
