import Foundation
import GRDB
import GatewayCore
import GatewayRepositories

/// The outbox, the message log and the silence monitor's state in the SQLite file.
struct SQLiteOutboxRepository: OutboxRepository {
    let writer: any DatabaseWriter
    let outbound: any OutboundEventRules

    /// Message rows with their event's id and type.
    private static let messageSelect = """
        SELECT m.*, e.event_id AS event_key, e.type AS event_type FROM outbound_message m JOIN outbound_event e ON e.id = m.event_id
        """

    /// Each enabled endpoint's oldest waiting message: the only one of its messages that may be sent.
    private static let heads = """
        FROM webhook_endpoint w
        JOIN outbound_message m ON m.endpoint_id = w.id AND m.event_id = (
            SELECT MIN(x.event_id) FROM outbound_message x WHERE x.endpoint_id = w.id AND x.status IN ('pending', 'retrying'))
        JOIN outbound_event e ON e.id = m.event_id
        WHERE w.disabled_at IS NULL
        """

    // MARK: Events and messages

    func events(type: OutboundEventType?, beforeSequence: Int64?, limit: Int) async throws -> [StoredOutboundEvent] {
        try await writer.read { db in
            var clauses = ["1"]
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let type { clauses.append("type = ?"); arguments.append(type.rawValue) }
            if let beforeSequence { clauses.append("id < ?"); arguments.append(beforeSequence) }
            return try Row.fetchAll(
                db, sql: "SELECT * FROM outbound_event WHERE \(clauses.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?",
                arguments: StatementArguments(arguments + [max(1, limit)])
            ).map(StoredOutboundEvent.init(row:))
        }
    }

    func event(sequence: Int64) async throws -> StoredOutboundEvent? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM outbound_event WHERE id = ?", arguments: [sequence]).map(StoredOutboundEvent.init(row:))
        }
    }

    func messages(matching query: OutboundMessageQuery) async throws -> [OutboundMessage] {
        try await writer.read { db in
            var clauses = ["1"]
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let endpoint = query.endpoint { clauses.append("m.endpoint_id = ?"); arguments.append(endpoint.rawValue) }
            if !query.statuses.isEmpty {
                clauses.append("m.status IN (\(Array(repeating: "?", count: query.statuses.count).joined(separator: ", ")))")
                arguments += query.statuses.map(\.rawValue)
            }
            if let type = query.eventType { clauses.append("e.type = ?"); arguments.append(type.rawValue) }
            if let before = query.beforeID { clauses.append("m.id < ?"); arguments.append(before.rawValue) }
            return try Row.fetchAll(
                db, sql: "\(Self.messageSelect) WHERE \(clauses.joined(separator: " AND ")) ORDER BY m.id DESC LIMIT ?",
                arguments: StatementArguments(arguments + [max(1, query.limit)])
            ).map(OutboundMessage.init(row:))
        }
    }

    func message(_ id: OutboundMessageID) async throws -> OutboundMessage? {
        try await writer.read { db in try Self.message(id, db) }
    }

    private static func message(_ id: OutboundMessageID, _ db: Database) throws -> OutboundMessage? {
        try Row.fetchOne(db, sql: "\(messageSelect) WHERE m.id = ?", arguments: [id.rawValue]).map(OutboundMessage.init(row:))
    }

    func messageCounts() async throws -> [WebhookEndpointID: [OutboundMessageStatus: Int]] {
        try await writer.read { db in
            var counts: [WebhookEndpointID: [OutboundMessageStatus: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT endpoint_id, status, COUNT(*) AS count FROM outbound_message GROUP BY endpoint_id, status") {
                guard let status = OutboundMessageStatus(rawValue: row["status"]) else { continue }
                counts[WebhookEndpointID(row["endpoint_id"]), default: [:]][status] = row["count"]
            }
            return counts
        }
    }

    func resend(_ id: OutboundMessageID, at now: Date) async throws -> OutboundMessage {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE outbound_message SET status = 'pending', attempts = 0, next_attempt_at = ?, delivered_at = NULL WHERE id = ?",
                arguments: [now, id.rawValue])
            guard db.changesCount == 1, let message = try Self.message(id, db) else {
                throw GatewayError.notFound("webhook message \(id) does not exist")
            }
            try LedgerSQL.audit("webhook_message.resent", subject: "webhook_message:\(id)", detail: ["event": message.eventID], at: now, db)
            return message
        }
    }

    func resendDead(of endpoint: WebhookEndpointID, at now: Date) async throws -> Int {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM webhook_endpoint WHERE id = ?)", arguments: [endpoint.rawValue]) == true
            else { throw GatewayError.notFound("webhook endpoint \(endpoint) does not exist") }
            try db.execute(
                sql: "UPDATE outbound_message SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE endpoint_id = ? AND status = 'dead'",
                arguments: [now, endpoint.rawValue])
            let count = db.changesCount
            try LedgerSQL.audit(
                "webhook_messages.resent", subject: "webhook_endpoint:\(endpoint)", detail: ["messages": "\(count)"], at: now, db)
            return count
        }
    }

    // MARK: Dispatching

    func dueDispatches(at now: Date, limit: Int) async throws -> [OutboundDispatch] {
        try await writer.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT m.*, e.event_id AS event_key, e.type AS event_type, e.payload, w.url \(Self.heads)
                        AND m.next_attempt_at <= ?
                    ORDER BY m.next_attempt_at, m.id LIMIT ?
                    """,
                arguments: [now, max(1, limit)])
            return try rows.map { row in
                let message = try OutboundMessage(row: row)
                // The current secret first; a rotated-out one signs beside it until its overlap ends.
                let secrets = try String.fetchAll(
                    db,
                    sql: """
                        SELECT secret FROM webhook_endpoint_secret WHERE endpoint_id = ? AND (expires_at IS NULL OR expires_at > ?)
                        ORDER BY expires_at IS NOT NULL, id DESC
                        """,
                    arguments: [message.endpointID.rawValue, now])
                return OutboundDispatch(message: message, url: row["url"], payload: row["payload"], signingSecrets: secrets)
            }
        }
    }

    @discardableResult
    func recordAttempt(
        _ id: OutboundMessageID, result: OutboundAttemptResult, disableIfFailingSince cutoff: Date, at now: Date
    ) async throws -> OutboundAttemptRecorded {
        try await writer.write { db in
            // The endpoint may have been removed while the attempt was under way.
            guard let endpointID = try Int64.fetchOne(db, sql: "SELECT endpoint_id FROM outbound_message WHERE id = ?", arguments: [id.rawValue])
            else { return OutboundAttemptRecorded(endpointDisabled: false, failingSince: nil) }
            switch result {
            case .delivered(let code):
                try db.execute(
                    sql: """
                        UPDATE outbound_message SET status = 'delivered', attempts = attempts + 1, last_attempt_at = ?, last_status_code = ?,
                            last_error = NULL, delivered_at = ?, next_attempt_at = NULL
                        WHERE id = ?
                        """,
                    arguments: [now, code, now, id.rawValue])
                try db.execute(sql: "UPDATE webhook_endpoint SET failing_since = NULL WHERE id = ?", arguments: [endpointID])
                return OutboundAttemptRecorded(endpointDisabled: false, failingSince: nil)
            case .failed(let code, let error, let retryAt):
                try db.execute(
                    sql: """
                        UPDATE outbound_message SET status = ?, attempts = attempts + 1, last_attempt_at = ?, last_status_code = ?,
                            last_error = ?, next_attempt_at = ?
                        WHERE id = ?
                        """,
                    arguments: [retryAt == nil ? "dead" : "retrying", now, code, error, retryAt, id.rawValue])
                try db.execute(sql: "UPDATE webhook_endpoint SET failing_since = COALESCE(failing_since, ?) WHERE id = ?", arguments: [now, endpointID])
                let failingSince = try Date.fetchOne(db, sql: "SELECT failing_since FROM webhook_endpoint WHERE id = ?", arguments: [endpointID])
                var disabled = false
                if let failingSince, failingSince <= cutoff,
                    try Date.fetchOne(db, sql: "SELECT disabled_at FROM webhook_endpoint WHERE id = ?", arguments: [endpointID]) == nil
                {
                    try SQLiteWebhookEndpointRepository.disable(
                        WebhookEndpointID(endpointID), reason: "every attempt has failed since \(failingSince.formatted(.iso8601)); last: \(error)",
                        at: now, db)
                    disabled = true
                }
                return OutboundAttemptRecorded(endpointDisabled: disabled, failingSince: failingSince)
            }
        }
    }

    func announceTimePassing(at now: Date) async throws {
        try await writer.write { db in
            let looked = try Date.fetchOne(db, sql: "SELECT looked_at FROM outbound_clock WHERE id = 1")
            guard looked.map({ now > $0 }) ?? true else { return }
            try db.execute(
                sql: "INSERT INTO outbound_clock (id, looked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET looked_at = excluded.looked_at",
                arguments: [now])
            // The first look only starts the clock: what time did before is history, not news.
            guard let from = looked else { return }
            let accruals = try Row.fetchAll(
                db,
                sql: """
                    \(LedgerSQL.accrualSelect) WHERE accrual.state = 'open' AND accrual.payout_id IS NULL
                        AND accrual.hold_until > ? AND accrual.hold_until <= ?
                    """,
                arguments: [from, now]
            ).map(Accrual.init(row:))
            let versions = Dictionary(grouping: try Row.fetchAll(db, sql: "SELECT * FROM plan_version ORDER BY plan_id, version").map(PlanVersion.init(row:)), by: \.planID)
            // A referral with a contract, or lost before the last look, cannot newly expire.
            let referrals = try Row.fetchAll(
                db, sql: "SELECT * FROM referral WHERE id NOT IN (SELECT referral_id FROM contract) AND (lost_at IS NULL OR lost_at > ?) ORDER BY id",
                arguments: [from])
                .map { row in
                    let referral = try Referral(row: row)
                    return (referral: referral, planVersions: versions[referral.planID] ?? [])
                }
            let candidates = OutboundTimeCandidates(from: from, to: now, accruals: accruals, referrals: referrals)
            try OutboxSQL.append(outbound.events(forTimePassing: candidates), at: now, db)
        }
    }

    func queueChanges() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let observation = DatabaseRegionObservation(tracking: Table("outbound_message"))
        let cancellable = observation.start(in: writer, onError: { _ in continuation.finish() }, onChange: { _ in continuation.yield() })
        continuation.onTermination = { _ in cancellable.cancel() }
        return stream
    }

    // MARK: Silence

    func watch(sources: [String], at now: Date) async throws -> [SourceActivity] {
        try await writer.write { db in
            try sources.map { source in
                try db.execute(sql: "INSERT OR IGNORE INTO source_watch (source, watched_since) VALUES (?, ?)", arguments: [source, now])
                let row = try Row.fetchOne(db, sql: "SELECT * FROM source_watch WHERE source = ?", arguments: [source])!
                return SourceActivity(
                    source: source, watchedSince: row["watched_since"],
                    lastDeliveryAt: try Date.fetchOne(db, sql: "SELECT MAX(received_at) FROM delivery WHERE source = ?", arguments: [source]),
                    silence: try (row["silence"] as String?).map { try ColumnJSON.value(SourceSilence.self, from: $0) })
            }
        }
    }

    func raiseSilence(_ silence: SourceSilence) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE source_watch SET silence = ? WHERE source = ? AND silence IS NULL", arguments: [try ColumnJSON.text(silence), silence.source])
            guard db.changesCount == 1 else { return false }
            try LedgerSQL.audit(
                "source.silent", subject: "source:\(silence.source)",
                detail: ["quiet_since": silence.quietSince.formatted(.iso8601), "silent_after_seconds": "\(Int(silence.silentAfter))"],
                at: silence.raisedAt, db)
            try OutboxSQL.announce([.sourceSilent(silence)], outbound, at: silence.raisedAt, db)
            return true
        }
    }

    @discardableResult
    func clearSilence(source: String, at now: Date) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE source_watch SET silence = NULL WHERE source = ? AND silence IS NOT NULL", arguments: [source])
            guard db.changesCount == 1 else { return false }
            try LedgerSQL.audit("source.resumed", subject: "source:\(source)", detail: [:], at: now, db)
            return true
        }
    }

    func silences() async throws -> [SourceSilence] {
        try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT silence FROM source_watch WHERE silence IS NOT NULL ORDER BY source")
                .map { try ColumnJSON.value(SourceSilence.self, from: $0) }
        }
    }
}

extension StoredOutboundEvent {
    init(row: Row) throws {
        guard let type = OutboundEventType(rawValue: row["type"]) else {
            throw DatabaseError(message: "outbound event \(row["id"] as Int64? ?? 0) has an unknown type")
        }
        self.init(
            sequence: row["id"],
            event: OutboundEvent(
                id: row["event_id"], type: type, subject: row["subject"], dedupKey: row["dedup_key"], occurredAt: row["occurred_at"],
                payload: row["payload"]))
    }
}

extension OutboundMessage {
    /// A message row joined with its event's id (`event_key`) and type (`event_type`).
    init(row: Row) throws {
        guard let type = OutboundEventType(rawValue: row["event_type"]), let status = OutboundMessageStatus(rawValue: row["status"]) else {
            throw DatabaseError(message: "webhook message \(row["id"] as Int64? ?? 0) has an unknown type or status")
        }
        self.init(
            id: OutboundMessageID(row["id"]), endpointID: WebhookEndpointID(row["endpoint_id"]), eventSequence: row["event_id"],
            eventID: row["event_key"], eventType: type, status: status, attempts: row["attempts"], nextAttemptAt: row["next_attempt_at"],
            lastAttemptAt: row["last_attempt_at"], lastStatusCode: row["last_status_code"], lastError: row["last_error"],
            deliveredAt: row["delivered_at"], createdAt: row["created_at"])
    }
}
