import Foundation
import GatewayCore
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import GatewayTestSupport
import PostgresNIO
import Testing

/// The same year of a referral program through the engine on SQLite and on PostgreSQL: the
/// outbox must hold the same events, since each store's writes tell the same `OutboundEvents`.
@Suite(PostgresTestDatabase.enabled) struct PostgresOutboxStoryTests {
    func eventCounts(_ store: any Repositories) async throws -> [OutboundEventType: Int] {
        try await store.outbox.events(type: nil, beforeSequence: nil, limit: 10_000).reduce(into: [:]) { $0[$1.event.type, default: 0] += 1 }
    }

    @Test func aYearOfTheProgramAnnouncesTheSameEventsOnBothStores() async throws {
        let sqlite = try TemporaryStore()
        try await PostgresTestDatabase.withFreshSchema { database in
            let postgres = PostgresStore(database: database, outboundEvents: OutboundEvents())
            let program = ProgramService(store: postgres)
            let now = YearStory.now
            // An endpoint for every event on each store, added before anything happens.
            for store in [sqlite.store, postgres] as [any Repositories] {
                _ = try await store.webhookEndpoints.addEndpoint(
                    url: "https://all.example/hooks", description: nil, eventTypes: [], secret: "whsec_story", at: Events.date("2025-01-01"))
                try await store.outbox.announceTimePassing(at: Events.date("2025-01-01"))
            }
            _ = try await YearStory.load(into: sqlite.store, program: sqlite.program)
            _ = try await YearStory.load(into: postgres, program: program)
            for (store, service) in [(sqlite.store, sqlite.program), (postgres, program)] as [(any Repositories, ProgramService)] {
                let payout = try await service.createPayout(note: "December", at: now)
                _ = try await service.markPayoutPaid(payout.id, at: now)
                try await store.outbox.announceTimePassing(at: now)
            }

            let expected = try await eventCounts(sqlite.store)
            let counts = try await eventCounts(postgres)
            #expect(expected[.accrualCreated, default: 0] > 0 && expected[.referralSigned, default: 0] > 0)
            #expect(counts[.payoutCreated] == 1 && counts[.payoutPaid] == 1)
            #expect(counts == expected)
            // Every event queued one message for the endpoint.
            let total = counts.values.reduce(0, +)
            let messages = try await postgres.outbox.messageCounts().values.flatMap(\.values).reduce(0, +)
            #expect(messages == total)
        }
    }
}
