import Foundation
import GatewayCore
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import PostgresNIO
import Testing

/// What the outbox hears from the inbox and the silence monitor on PostgreSQL, and its clock for
/// time-driven events, across instances.
@Suite(PostgresTestDatabase.enabled) struct PostgresOutboundMonitorTests {
    static let now = Date(timeIntervalSince1970: 1_748_736_000)

    func delivery(_ id: String, source: String = "stripe") -> IncomingDelivery {
        IncomingDelivery(
            source: source, vendorDeliveryID: id, eventType: "invoice.paid", receivedAt: Self.now, requestID: "req-\(id)",
            body: Data(#"{"id":"\#(id)"}"#.utf8), headers: [:],
            verification: Verification(scheme: "stripe", matchedSecretIndex: 0, signedAt: Self.now))
    }

    @Test func aDeliverySettledFailedOrDeadIsAnnouncedInTheSettlingTransaction() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let store = PostgresStore(database: database, outboundEvents: OutboundEvents())
            let failed = try await store.inbox.ingest(delivery("evt_failed")).deliveryID
            let dead = try await store.inbox.ingest(delivery("evt_dead")).deliveryID
            let ignored = try await store.inbox.ingest(delivery("evt_ignored")).deliveryID
            let statuses = try await store.inbox.settle(
                [
                    (failed, .failed(reason: "missing customer", adapterVersion: 1)), (dead, .dead(reason: "timed out", adapterVersion: 1)),
                    (ignored, .ignored(reason: "not a payment", adapterVersion: 1)),
                ], rules: LedgerService(), at: Self.now)
            #expect(statuses == [failed: .failed, dead: .dead, ignored: .ignored])
            let events = try await store.outbox.events(type: nil, beforeSequence: nil, limit: 10)
            #expect(Set(events.map(\.event.subject)) == ["delivery:\(failed)", "delivery:\(dead)"])
            #expect(try await store.outbox.events(type: .deliveryDead, beforeSequence: nil, limit: 10).map(\.event.subject) == ["delivery:\(dead)"])
            // The payload tells the delivery's outcome, never its body.
            let payload = String(decoding: try #require(events.first { $0.event.type == .deliveryFailed }).event.payload, as: UTF8.self)
            #expect(payload.contains("missing customer"))
            #expect(!payload.contains("\"body\""))
        }
    }

    @Test func twoInstancesRaisingOneSilenceAtOnceOpenOneAlertAndOneEvent() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let outboxes = databases.map { PostgresOutboxRepository(database: $0, outbound: OutboundEvents()) }
            let inbox = PostgresDeliveryInbox(database: databases[0])
            _ = try await inbox.ingest(delivery("evt_1", source: "quickbooks"))
            let watched = try await withThrowingTaskGroup(of: [SourceActivity].self) { group in
                for outbox in outboxes { group.addTask { try await outbox.watch(sources: ["quickbooks", "autotask"], at: Self.now) } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(watched.count == 4)
            #expect(watched.allSatisfy { $0.watchedSince == Self.now && $0.silence == nil })
            #expect(watched.filter { $0.source == "quickbooks" }.allSatisfy { $0.lastDeliveryAt == Self.now })
            #expect(watched.filter { $0.source == "autotask" }.allSatisfy { $0.lastDeliveryAt == nil })

            let raisedAt = Self.now.addingTimeInterval(7200)
            let silence = SourceSilence(source: "autotask", lastDeliveryAt: nil, quietSince: Self.now, silentAfter: 3600, raisedAt: raisedAt)
            let raised = try await withThrowingTaskGroup(of: Bool.self) { group in
                for outbox in outboxes { group.addTask { try await outbox.raiseSilence(silence) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(raised.filter { $0 }.count == 1 && raised.count == 2, "one instance opens the alert")
            #expect(try await outboxes[1].silences() == [silence])
            #expect(try await outboxes[0].events(type: .sourceSilent, beforeSequence: nil, limit: 10).count == 1)
            #expect(try await outboxes[1].watch(sources: ["autotask"], at: raisedAt).first?.silence == silence)

            #expect(try await outboxes[1].clearSilence(source: "autotask", at: raisedAt.addingTimeInterval(60)))
            #expect(try await !outboxes[0].clearSilence(source: "autotask", at: raisedAt.addingTimeInterval(60)))
            #expect(try await outboxes[0].silences().isEmpty)
            let actions = try await databases[0].rows("SELECT action FROM audit_log WHERE action LIKE 'source.%' ORDER BY id").map { try $0.decode(String.self) }
            #expect(actions == ["source.silent", "source.resumed"])
        }
    }

    @Test func theFirstLookAtTimeOnlyStartsTheClockAndItNeverGoesBack() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let outboxes = databases.map { PostgresOutboxRepository(database: $0, outbound: OutboundEvents()) }
            // Two instances look for the first time at once: one starts the clock, neither fails.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for outbox in outboxes { group.addTask { try await outbox.announceTimePassing(at: Self.now) } }
                try await group.waitForAll()
            }
            func looked() async throws -> Date? {
                try await databases[0].rows("SELECT looked_at FROM outbound_clock WHERE id = 1").first?.decode(Date.self)
            }
            #expect(try await looked() == Self.now)
            try await outboxes[1].announceTimePassing(at: Self.now.addingTimeInterval(60))
            #expect(try await looked() == Self.now.addingTimeInterval(60))
            try await outboxes[0].announceTimePassing(at: Self.now.addingTimeInterval(30))
            #expect(try await looked() == Self.now.addingTimeInterval(60), "an instance whose clock is behind does not move it back")
            #expect(try await outboxes[0].events(type: nil, beforeSequence: nil, limit: 10).isEmpty)
        }
    }
}
