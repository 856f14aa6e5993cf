public import Foundation
public import GatewayCore
public import GatewayRepositories
import Logging
import PostgresNIO

/// The outbox, the message log and the silence monitor's state in PostgreSQL, shared by every
/// instance.
///
/// **Dispatch across instances.** `dueDispatches` claims what it returns: in one transaction it
/// takes each enabled endpoint's oldest waiting message when it is due, `FOR UPDATE SKIP LOCKED`
/// (a message another instance is claiming at that moment is passed over, not waited for), and
/// moves its `next_attempt_at` to the end of a lease (`claimLease`). Another instance finds it not
/// due, and, since it is still its endpoint's oldest waiting message, none of that endpoint's later
/// ones either: two instances never send the same message at once, and an endpoint's order holds.
/// `recordAttempt` then sets the real next time (or none). An instance that dies mid-attempt leaves
/// its claim to expire: the message is sent again after the lease (at least once, as Standard
/// Webhooks expects; the receiver dedupes by `webhook-id`).
public struct PostgresOutboxRepository: OutboxRepository {
    let database: PostgresGatewayDatabase
    let outbound: any OutboundEventRules
    /// How long a claimed message is kept from other instances: well above one attempt's timeout.
    let claimLease: TimeInterval

    /// The repository over `database`; `outbound` makes the events time and silence call for.
    public init(database: PostgresGatewayDatabase, outbound: any OutboundEventRules, claimLease: TimeInterval = 300) {
        self.database = database
        self.outbound = outbound
        self.claimLease = claimLease
    }

    /// Message rows with their event's id and type.
    static let messageSelect = """
        SELECT m.*, e.event_id AS event_key, e.type AS event_type FROM outbound_message m JOIN outbound_event e ON e.id = m.event_id
        """

    // MARK: Events and messages

    public func events(type: OutboundEventType?, beforeSequence: Int64?, limit: Int) async throws -> [StoredOutboundEvent] {
        try await database.rows(
            """
            SELECT * FROM outbound_event
            WHERE (\(type?.rawValue)::text IS NULL OR type = \(type?.rawValue)) AND (\(beforeSequence)::bigint IS NULL OR id < \(beforeSequence))
            ORDER BY id DESC LIMIT \(max(1, limit))
            """
        ).map { try StoredOutboundEvent(postgres: $0.makeRandomAccess()) }
    }

    public func event(sequence: Int64) async throws -> StoredOutboundEvent? {
        try await database.rows("SELECT * FROM outbound_event WHERE id = \(sequence)").first.map { try StoredOutboundEvent(postgres: $0.makeRandomAccess()) }
    }

    public func messages(matching query: OutboundMessageQuery) async throws -> [OutboundMessage] {
        let statuses = query.statuses.map(\.rawValue)
        return try await database.rows(
            """
            \(unescaped: Self.messageSelect)
            WHERE (\(query.endpoint?.rawValue)::bigint IS NULL OR m.endpoint_id = \(query.endpoint?.rawValue))
                AND (cardinality(\(statuses)::text[]) = 0 OR m.status = ANY(\(statuses)::text[]))
                AND (\(query.eventType?.rawValue)::text IS NULL OR e.type = \(query.eventType?.rawValue))
                AND (\(query.beforeID?.rawValue)::bigint IS NULL OR m.id < \(query.beforeID?.rawValue))
            ORDER BY m.id DESC LIMIT \(max(1, query.limit))
            """
        ).map { try OutboundMessage(postgres: $0.makeRandomAccess()) }
    }

    public func message(_ id: OutboundMessageID) async throws -> OutboundMessage? {
        try await database.rows("\(unescaped: Self.messageSelect) WHERE m.id = \(id.rawValue)").first.map { try OutboundMessage(postgres: $0.makeRandomAccess()) }
    }

    public func messageCounts() async throws -> [WebhookEndpointID: [OutboundMessageStatus: Int]] {
        var counts: [WebhookEndpointID: [OutboundMessageStatus: Int]] = [:]
        for row in try await database.rows("SELECT endpoint_id, status, COUNT(*) FROM outbound_message GROUP BY endpoint_id, status") {
            let (endpoint, status, count) = try row.decode((Int64, String, Int64).self)
            guard let status = OutboundMessageStatus(rawValue: status) else { continue }
            counts[WebhookEndpointID(endpoint), default: [:]][status] = Int(count)
        }
        return counts
    }

    public func resend(_ id: OutboundMessageID, at now: Date) async throws -> OutboundMessage {
        try await database.transaction { connection in
            let logger = database.logger
            let updated = try await connection.execute(
                "UPDATE outbound_message SET status = 'pending', attempts = 0, next_attempt_at = \(now), delivered_at = NULL WHERE id = \(id.rawValue) RETURNING id",
                logger: logger)
            guard !updated.isEmpty,
                let row = try await connection.execute("\(unescaped: Self.messageSelect) WHERE m.id = \(id.rawValue)", logger: logger).first
            else { throw GatewayError.notFound("webhook message \(id) does not exist") }
            let message = try OutboundMessage(postgres: row.makeRandomAccess())
            try await connection.audit("webhook_message.resent", subject: "webhook_message:\(id)", detail: ["event": message.eventID], at: now, logger: logger)
            try await PostgresOutbox.notifyQueued(connection, logger: logger)
            return message
        }
    }

    public func resendDead(of endpoint: WebhookEndpointID, at now: Date) async throws -> Int {
        try await database.transaction { connection in
            let logger = database.logger
            guard try await !connection.execute("SELECT 1 FROM webhook_endpoint WHERE id = \(endpoint.rawValue)", logger: logger).isEmpty else {
                throw GatewayError.notFound("webhook endpoint \(endpoint) does not exist")
            }
            let count = try await connection.execute(
                """
                UPDATE outbound_message SET status = 'pending', attempts = 0, next_attempt_at = \(now)
                WHERE endpoint_id = \(endpoint.rawValue) AND status = 'dead' RETURNING id
                """, logger: logger
            ).count
            try await connection.audit(
                "webhook_messages.resent", subject: "webhook_endpoint:\(endpoint)", detail: ["messages": "\(count)"], at: now, logger: logger)
            if count > 0 { try await PostgresOutbox.notifyQueued(connection, logger: logger) }
            return count
        }
    }

    // MARK: Dispatching

    public func dueDispatches(at now: Date, limit: Int) async throws -> [OutboundDispatch] {
        try await database.transaction { connection in
            let logger = database.logger
            // Each enabled endpoint's oldest waiting message (the only one of its messages that may
            // be sent), when due; one another instance is claiming right now is skipped.
            let rows = try await connection.execute(
                """
                SELECT m.*, e.event_id AS event_key, e.type AS event_type, e.payload, w.url
                FROM webhook_endpoint w
                JOIN outbound_message m ON m.endpoint_id = w.id AND m.event_id = (
                    SELECT MIN(x.event_id) FROM outbound_message x WHERE x.endpoint_id = w.id AND x.status IN ('pending', 'retrying'))
                JOIN outbound_event e ON e.id = m.event_id
                WHERE w.disabled_at IS NULL AND m.status IN ('pending', 'retrying') AND m.next_attempt_at <= \(now)
                ORDER BY m.next_attempt_at, m.id LIMIT \(max(1, limit))
                FOR UPDATE OF m SKIP LOCKED
                """, logger: logger)
            var dispatches: [OutboundDispatch] = []
            for row in rows {
                let columns = row.makeRandomAccess()
                let message = try OutboundMessage(postgres: columns)
                try await connection.execute(
                    "UPDATE outbound_message SET next_attempt_at = \(now.addingTimeInterval(claimLease)) WHERE id = \(message.id.rawValue)", logger: logger)
                // The current secret first; a rotated-out one signs beside it until its overlap ends.
                let secrets = try await connection.execute(
                    """
                    SELECT secret FROM webhook_endpoint_secret WHERE endpoint_id = \(message.endpointID.rawValue) AND (expires_at IS NULL OR expires_at > \(now))
                    ORDER BY expires_at IS NOT NULL, id DESC
                    """, logger: logger
                ).map { try $0.decode(String.self) }
                dispatches.append(
                    OutboundDispatch(
                        message: message, url: try columns["url"].decode(String.self), payload: try columns["payload"].decode(Data.self),
                        signingSecrets: secrets))
            }
            return dispatches
        }
    }

    @discardableResult
    public func recordAttempt(
        _ id: OutboundMessageID, result: OutboundAttemptResult, disableIfFailingSince cutoff: Date, at now: Date
    ) async throws -> OutboundAttemptRecorded {
        try await database.transaction { connection in
            let logger = database.logger
            // The endpoint may have been removed while the attempt was under way.
            guard
                let endpointID = try await connection.execute("SELECT endpoint_id FROM outbound_message WHERE id = \(id.rawValue) FOR UPDATE", logger: logger)
                    .first?.decode(Int64.self)
            else { return OutboundAttemptRecorded(endpointDisabled: false, failingSince: nil) }
            switch result {
            case .delivered(let code):
                try await connection.execute(
                    """
                    UPDATE outbound_message SET status = 'delivered', attempts = attempts + 1, last_attempt_at = \(now), last_status_code = \(code),
                        last_error = NULL, delivered_at = \(now), next_attempt_at = NULL
                    WHERE id = \(id.rawValue)
                    """, logger: logger)
                try await connection.execute("UPDATE webhook_endpoint SET failing_since = NULL WHERE id = \(endpointID)", logger: logger)
                return OutboundAttemptRecorded(endpointDisabled: false, failingSince: nil)
            case .failed(let code, let error, let retryAt):
                try await connection.execute(
                    """
                    UPDATE outbound_message SET status = \(retryAt == nil ? "dead" : "retrying"), attempts = attempts + 1, last_attempt_at = \(now),
                        last_status_code = \(code), last_error = \(error), next_attempt_at = \(retryAt)
                    WHERE id = \(id.rawValue)
                    """, logger: logger)
                let endpoint = try await connection.execute(
                    "UPDATE webhook_endpoint SET failing_since = COALESCE(failing_since, \(now)) WHERE id = \(endpointID) RETURNING failing_since, disabled_at",
                    logger: logger
                ).first
                let (failingSince, disabledAt) = try endpoint?.decode((Date?, Date?).self) ?? (nil, nil)
                var disabled = false
                if let failingSince, failingSince <= cutoff, disabledAt == nil {
                    disabled = try await PostgresWebhookEndpointRepository.disable(
                        WebhookEndpointID(endpointID), reason: "every attempt has failed since \(failingSince.formatted(.iso8601)); last: \(error)",
                        at: now, connection, logger: logger)
                }
                return OutboundAttemptRecorded(endpointDisabled: disabled, failingSince: failingSince)
            }
        }
    }

    public func announceTimePassing(at now: Date) async throws {
        try await database.transaction { connection in
            let logger = database.logger
            // The clock's row lock makes instances looking at once look one after the other: the
            // second sees the first's time and announces only what came after it.
            let looked = try await connection.execute("SELECT looked_at FROM outbound_clock WHERE id = 1 FOR UPDATE", logger: logger).first?.decode(Date.self)
            if let looked {
                guard now > looked else { return }
                try await connection.execute("UPDATE outbound_clock SET looked_at = \(now) WHERE id = 1", logger: logger)
            } else {
                // The first look only starts the clock: what time did before is history, not news.
                try await connection.execute("INSERT INTO outbound_clock (id, looked_at) VALUES (1, \(now)) ON CONFLICT (id) DO NOTHING", logger: logger)
                return
            }
            guard let from = looked else { return }
            let accruals = try await connection.execute(
                """
                \(unescaped: PostgresLedger.accrualSelect) WHERE accrual.state = 'open' AND accrual.payout_id IS NULL
                    AND accrual.hold_until > \(from) AND accrual.hold_until <= \(now)
                ORDER BY accrual.id
                """, logger: logger
            ).map { try Accrual(postgres: $0.makeRandomAccess()) }
            let versions = Dictionary(
                grouping: try await connection.execute("SELECT * FROM plan_version ORDER BY plan_id, version", logger: logger).map(PlanVersion.init(postgres:)),
                by: \.planID)
            // A referral with a contract, or lost before the last look, cannot newly expire.
            let referrals = try await connection.execute(
                """
                SELECT * FROM referral WHERE id NOT IN (SELECT referral_id FROM contract) AND (lost_at IS NULL OR lost_at > \(from)) ORDER BY id
                """, logger: logger
            ).map { row in
                let referral = try Referral(postgres: row.makeRandomAccess())
                return (referral: referral, planVersions: versions[referral.planID] ?? [])
            }
            let candidates = OutboundTimeCandidates(from: from, to: now, accruals: accruals, referrals: referrals)
            try await PostgresOutbox.append(outbound.events(forTimePassing: candidates), at: now, connection, logger: logger)
        }
    }

    /// Yields after each committed write, by any instance, that queued or requeued messages in this
    /// schema: they `NOTIFY` on `PostgresOutbox.channel`.
    public func queueChanges() -> AsyncStream<Void> {
        database.notifications(on: PostgresOutbox.channel, what: "queued webhook messages")
    }

    // MARK: Silence

    public func watch(sources: [String], at now: Date) async throws -> [SourceActivity] {
        try await database.transaction { connection in
            let logger = database.logger
            var activities: [SourceActivity] = []
            for source in sources {
                try await connection.execute(
                    "INSERT INTO source_watch (source, watched_since) VALUES (\(source), \(now)) ON CONFLICT (source) DO NOTHING", logger: logger)
                guard
                    let row = try await connection.execute(
                        """
                        SELECT watched_since, silence, (SELECT MAX(received_at) FROM delivery WHERE source = \(source))
                        FROM source_watch WHERE source = \(source)
                        """, logger: logger
                    ).first
                else { continue }
                let (watchedSince, silence, lastDeliveryAt) = try row.decode((Date, String?, Date?).self)
                activities.append(
                    SourceActivity(
                        source: source, watchedSince: watchedSince, lastDeliveryAt: lastDeliveryAt,
                        silence: try silence.map { try ColumnJSON.value(SourceSilence.self, from: $0) }))
            }
            return activities
        }
    }

    public func raiseSilence(_ silence: SourceSilence) async throws -> Bool {
        try await database.transaction { connection in
            let logger = database.logger
            let raised = try await connection.execute(
                "UPDATE source_watch SET silence = \(try ColumnJSON.text(silence)) WHERE source = \(silence.source) AND silence IS NULL RETURNING source",
                logger: logger)
            guard !raised.isEmpty else { return false }
            try await connection.audit(
                "source.silent", subject: "source:\(silence.source)",
                detail: ["quiet_since": silence.quietSince.formatted(.iso8601), "silent_after_seconds": "\(Int(silence.silentAfter))"],
                at: silence.raisedAt, logger: logger)
            try await PostgresOutbox.announce([.sourceSilent(silence)], outbound, at: silence.raisedAt, connection, logger: logger)
            return true
        }
    }

    @discardableResult
    public func clearSilence(source: String, at now: Date) async throws -> Bool {
        try await database.transaction { connection in
            let logger = database.logger
            let cleared = try await connection.execute(
                "UPDATE source_watch SET silence = NULL WHERE source = \(source) AND silence IS NOT NULL RETURNING source", logger: logger)
            guard !cleared.isEmpty else { return false }
            try await connection.audit("source.resumed", subject: "source:\(source)", detail: [:], at: now, logger: logger)
            return true
        }
    }

    public func silences() async throws -> [SourceSilence] {
        try await database.rows("SELECT silence FROM source_watch WHERE silence IS NOT NULL ORDER BY source").map {
            try ColumnJSON.value(SourceSilence.self, from: try $0.decode(String.self))
        }
    }
}

extension StoredOutboundEvent {
    /// An `outbound_event` row.
    init(postgres row: PostgresRandomAccessRow) throws {
        let id = try row["id"].decode(Int64.self)
        guard let type = OutboundEventType(rawValue: try row["type"].decode(String.self)) else {
            throw GatewayError.invalid("outbound event \(id) has an unknown type")
        }
        self.init(
            sequence: id,
            event: OutboundEvent(
                id: try row["event_id"].decode(String.self), type: type, subject: try row["subject"].decode(String.self),
                dedupKey: try row["dedup_key"].decode(String?.self), occurredAt: try row["occurred_at"].decode(Date.self),
                payload: try row["payload"].decode(Data.self)))
    }
}

extension OutboundMessage {
    /// A message row joined with its event's id (`event_key`) and type (`event_type`).
    init(postgres row: PostgresRandomAccessRow) throws {
        let id = try row["id"].decode(Int64.self)
        guard let type = OutboundEventType(rawValue: try row["event_type"].decode(String.self)),
            let status = OutboundMessageStatus(rawValue: try row["status"].decode(String.self))
        else { throw GatewayError.invalid("webhook message \(id) has an unknown type or status") }
        self.init(
            id: OutboundMessageID(id), endpointID: WebhookEndpointID(try row["endpoint_id"].decode(Int64.self)),
            eventSequence: try row["event_id"].decode(Int64.self), eventID: try row["event_key"].decode(String.self), eventType: type, status: status,
            attempts: try row["attempts"].decode(Int.self), nextAttemptAt: try row["next_attempt_at"].decode(Date?.self),
            lastAttemptAt: try row["last_attempt_at"].decode(Date?.self), lastStatusCode: try row["last_status_code"].decode(Int?.self),
            lastError: try row["last_error"].decode(String?.self), deliveredAt: try row["delivered_at"].decode(Date?.self),
            createdAt: try row["created_at"].decode(Date.self))
    }
}
