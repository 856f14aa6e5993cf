public import Foundation
public import GatewayCore
public import GatewayRepositories
import Logging
import PostgresNIO

/// Outbound endpoints and their secrets in PostgreSQL. Secrets are kept as they are: they sign.
public struct PostgresWebhookEndpointRepository: WebhookEndpointRepository {
    let database: PostgresGatewayDatabase

    /// The repository over `database`.
    public init(database: PostgresGatewayDatabase) {
        self.database = database
    }

    /// Endpoint rows with when the current secret was made and when the last rotated-out one stops.
    static let endpointSelect = """
        SELECT e.*,
            (SELECT MAX(s.created_at) FROM webhook_endpoint_secret s WHERE s.endpoint_id = e.id AND s.expires_at IS NULL) AS secret_created_at,
            (SELECT MAX(s.expires_at) FROM webhook_endpoint_secret s WHERE s.endpoint_id = e.id) AS previous_secret_expires_at
        FROM webhook_endpoint e
        """

    public func addEndpoint(url: String, description: String?, eventTypes: [OutboundEventType], secret: String, at now: Date) async throws -> WebhookEndpoint {
        try await database.transaction { connection in
            let logger = database.logger
            guard
                let row = try await connection.execute(
                    """
                    INSERT INTO webhook_endpoint (url, description, event_types, created_at)
                    VALUES (\(url), \(description), \(try ColumnJSON.text(eventTypes.map(\.rawValue))), \(now)) RETURNING id
                    """, logger: logger
                ).first
            else { throw GatewayError.invalid("the endpoint was not stored") }
            let id = WebhookEndpointID(try row.decode(Int64.self))
            try await connection.execute(
                "INSERT INTO webhook_endpoint_secret (endpoint_id, secret, created_at) VALUES (\(id.rawValue), \(secret), \(now))", logger: logger)
            try await connection.audit(
                "webhook_endpoint.created", subject: "webhook_endpoint:\(id)",
                detail: ["url": url, "events": eventTypes.map(\.rawValue).joined(separator: ",")], at: now, logger: logger)
            return try await Self.existing(id, connection, logger: logger)
        }
    }

    public func endpoints() async throws -> [WebhookEndpoint] {
        try await database.rows("\(unescaped: Self.endpointSelect) ORDER BY e.id").map { try WebhookEndpoint(postgres: $0.makeRandomAccess()) }
    }

    public func endpoint(_ id: WebhookEndpointID) async throws -> WebhookEndpoint? {
        try await database.rows("\(unescaped: Self.endpointSelect) WHERE e.id = \(id.rawValue)").first.map { try WebhookEndpoint(postgres: $0.makeRandomAccess()) }
    }

    public func removeEndpoint(_ id: WebhookEndpointID, at now: Date) async throws {
        try await database.transaction { connection in
            let logger = database.logger
            let url = try await Self.existing(id, connection, lock: true, logger: logger).url
            // Its messages and secrets go with it (ON DELETE CASCADE); the events stay in the outbox.
            try await connection.execute("DELETE FROM webhook_endpoint WHERE id = \(id.rawValue)", logger: logger)
            try await connection.audit("webhook_endpoint.removed", subject: "webhook_endpoint:\(id)", detail: ["url": url], at: now, logger: logger)
        }
    }

    /// The endpoint's row is locked first, so two rotations at once (on two instances) run one after
    /// the other: the second expires the first's new secret, never leaves two current ones.
    public func rotateSecret(_ id: WebhookEndpointID, to secret: String, previousExpiresAt: Date, at now: Date) async throws -> WebhookEndpoint {
        try await database.transaction { connection in
            let logger = database.logger
            _ = try await Self.existing(id, connection, lock: true, logger: logger)
            try await connection.execute("DELETE FROM webhook_endpoint_secret WHERE endpoint_id = \(id.rawValue) AND expires_at IS NOT NULL", logger: logger)
            try await connection.execute(
                "UPDATE webhook_endpoint_secret SET expires_at = \(previousExpiresAt) WHERE endpoint_id = \(id.rawValue) AND expires_at IS NULL", logger: logger)
            try await connection.execute(
                "INSERT INTO webhook_endpoint_secret (endpoint_id, secret, created_at) VALUES (\(id.rawValue), \(secret), \(now))", logger: logger)
            try await connection.audit(
                "webhook_endpoint.secret_rotated", subject: "webhook_endpoint:\(id)",
                detail: ["previous_expires_at": previousExpiresAt.formatted(.iso8601)], at: now, logger: logger)
            return try await Self.existing(id, connection, logger: logger)
        }
    }

    public func disableEndpoint(_ id: WebhookEndpointID, reason: String, at now: Date) async throws -> WebhookEndpoint {
        try await database.transaction { connection in
            let logger = database.logger
            _ = try await Self.existing(id, connection, lock: true, logger: logger)
            try await Self.disable(id, reason: reason, at: now, connection, logger: logger)
            return try await Self.existing(id, connection, logger: logger)
        }
    }

    /// Stops sending to an endpoint (an admin's decision, or failing for too long).
    ///
    /// - Returns: whether this call disabled it (it was enabled).
    @discardableResult
    static func disable(_ id: WebhookEndpointID, reason: String, at now: Date, _ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let disabled = try await connection.execute(
            "UPDATE webhook_endpoint SET disabled_at = \(now), disabled_reason = \(reason) WHERE id = \(id.rawValue) AND disabled_at IS NULL RETURNING id",
            logger: logger)
        guard !disabled.isEmpty else { return false }
        try await connection.audit("webhook_endpoint.disabled", subject: "webhook_endpoint:\(id)", detail: ["reason": reason], at: now, logger: logger)
        return true
    }

    public func enableEndpoint(_ id: WebhookEndpointID, at now: Date) async throws -> WebhookEndpoint {
        try await database.transaction { connection in
            let logger = database.logger
            _ = try await Self.existing(id, connection, lock: true, logger: logger)
            try await connection.execute(
                "UPDATE webhook_endpoint SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL WHERE id = \(id.rawValue)", logger: logger)
            // What waited is due now, the oldest first (the dispatcher keeps the order).
            try await connection.execute(
                "UPDATE outbound_message SET next_attempt_at = \(now) WHERE endpoint_id = \(id.rawValue) AND status IN ('pending', 'retrying')", logger: logger)
            try await connection.audit("webhook_endpoint.enabled", subject: "webhook_endpoint:\(id)", detail: [:], at: now, logger: logger)
            try await PostgresOutbox.notifyQueued(connection, logger: logger)
            return try await Self.existing(id, connection, logger: logger)
        }
    }

    private static func existing(_ id: WebhookEndpointID, _ connection: PostgresConnection, lock: Bool = false, logger: Logger) async throws -> WebhookEndpoint {
        if lock {
            guard try await !connection.execute("SELECT 1 FROM webhook_endpoint WHERE id = \(id.rawValue) FOR UPDATE", logger: logger).isEmpty else {
                throw GatewayError.notFound("webhook endpoint \(id) does not exist")
            }
        }
        guard let row = try await connection.execute("\(unescaped: endpointSelect) WHERE e.id = \(id.rawValue)", logger: logger).first else {
            throw GatewayError.notFound("webhook endpoint \(id) does not exist")
        }
        return try WebhookEndpoint(postgres: row.makeRandomAccess())
    }
}

extension WebhookEndpoint {
    /// A row of `PostgresWebhookEndpointRepository.endpointSelect`.
    init(postgres row: PostgresRandomAccessRow) throws {
        let types = try ColumnJSON.value([String].self, from: try row["event_types"].decode(String.self))
        let createdAt = try row["created_at"].decode(Date.self)
        self.init(
            id: WebhookEndpointID(try row["id"].decode(Int64.self)), url: try row["url"].decode(String.self),
            description: try row["description"].decode(String?.self), eventTypes: types.compactMap(OutboundEventType.init(rawValue:)),
            createdAt: createdAt, secretCreatedAt: try row["secret_created_at"].decode(Date?.self) ?? createdAt,
            previousSecretExpiresAt: try row["previous_secret_expires_at"].decode(Date?.self), disabledAt: try row["disabled_at"].decode(Date?.self),
            disabledReason: try row["disabled_reason"].decode(String?.self), failingSince: try row["failing_since"].decode(Date?.self))
    }
}
