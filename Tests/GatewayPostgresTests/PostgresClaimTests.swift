import Foundation
import GatewayCore
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import PostgresNIO
import Synchronization
import Testing

/// Processing claims shared by several instances: `FOR UPDATE SKIP LOCKED` under a lease.
@Suite(PostgresTestDatabase.enabled) struct PostgresClaimTests {
    func delivery(_ id: String) -> IncomingDelivery {
        IncomingDelivery(
            source: "stripe", vendorDeliveryID: id, eventType: "invoice.paid", receivedAt: Date(timeIntervalSince1970: 1_748_736_010), requestID: nil,
            body: Data("{}".utf8), headers: [:], verification: Verification(scheme: "stripe", matchedSecretIndex: 0))
    }

    @Test func workClaimedByAnInstanceThatDiedIsTakenOverByAnotherAfterTheLease() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let first = PostgresDeliveryInbox(database: databases[0])
            let second = PostgresDeliveryInbox(database: databases[1])
            _ = try await first.ingest(delivery("evt_1"))
            _ = try await first.ingest(delivery("evt_2"))
            let t0 = Date(timeIntervalSince1970: 1_800_000_000)

            let claimed = try await first.claimDeliveries(limit: 10, lease: 60, at: t0)
            #expect(claimed.map(\.vendorDeliveryID) == ["evt_1", "evt_2"])
            #expect(claimed.allSatisfy { $0.status == .processing })
            // The first instance dies; the second looks before its lease ends…
            #expect(try await second.claimDeliveries(limit: 10, lease: 60, at: t0.addingTimeInterval(30)).isEmpty)
            // …and after.
            let reclaimed = try await second.claimDeliveries(limit: 10, lease: 60, at: t0.addingTimeInterval(61))
            #expect(reclaimed.map(\.vendorDeliveryID) == ["evt_1", "evt_2"])
            #expect(try await first.claimDeliveries(limit: 10, lease: 60, at: t0.addingTimeInterval(62)).isEmpty, "the new lease holds")
        }
    }

    @Test func claimsGivenBackByAFailedPassAreClaimedAgainAtOnceButASettledOneStaysSettled() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let first = PostgresDeliveryInbox(database: databases[0])
            let second = PostgresDeliveryInbox(database: databases[1])
            let ids = [try await first.ingest(delivery("evt_1")).deliveryID, try await first.ingest(delivery("evt_2")).deliveryID]
            let t0 = Date(timeIntervalSince1970: 1_800_000_000)
            _ = try await first.claimDeliveries(limit: 10, lease: 600, at: t0)
            try await first.settle([(ids[0], .ignored(reason: "not ours", adapterVersion: 1))], rules: LedgerService(), at: t0)

            try await first.releaseClaims(of: ids)
            #expect(try await second.claimDeliveries(limit: 10, lease: 600, at: t0.addingTimeInterval(1)).map(\.id) == [ids[1]], "not after the lease: now")
            #expect(try await second.delivery(ids[0])?.status == .ignored)
        }
    }

    @Test func aDeliveryStoredByOneInstanceWakesTheOthersProcessorAndADuplicateDoesNot() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let writer = PostgresDeliveryInbox(database: databases[0])
            let arrivals = PostgresDeliveryInbox(database: databases[1]).arrivals()
            let heard = Mutex(0)
            let listening = Task {
                for await _ in arrivals { heard.withLock { $0 += 1 } }
            }
            defer { listening.cancel() }
            // The listener needs a moment to start listening; keep storing until it hears one.
            for attempt in 0..<300 where heard.withLock({ $0 }) == 0 {
                _ = try await writer.ingest(delivery("evt_wake_\(attempt)"))
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(heard.withLock { $0 } > 0, "a stored delivery notified the other instance")
            // Let the notifications of the stores above arrive (a busy machine delivers them late).
            var before = heard.withLock { $0 }
            for _ in 0..<20 {
                try await Task.sleep(for: .seconds(1))
                let now = heard.withLock { $0 }
                if now == before { break }
                before = now
            }
            #expect(try await writer.ingest(delivery("evt_wake_0")) == .duplicate(DeliveryID(1)))
            try await Task.sleep(for: .seconds(1))
            #expect(heard.withLock { $0 } == before, "a vendor retry of a stored delivery wakes no one")
        }
    }

    @Test func twoInstancesClaimingAtOnceNeverClaimTheSameDelivery() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let inboxes = databases.map(PostgresDeliveryInbox.init(database:))
            for index in 0..<240 { _ = try await inboxes[index % 2].ingest(delivery("evt_\(index)")) }
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            // Four claimers, two on each instance, each taking small batches until nothing is left.
            let claims = try await withThrowingTaskGroup(of: [DeliveryID].self) { group in
                for claimer in 0..<4 {
                    let inbox = inboxes[claimer % 2]
                    group.addTask {
                        var mine: [DeliveryID] = []
                        while true {
                            let batch = try await inbox.claimDeliveries(limit: 5, lease: 600, at: now)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let all = claims.flatMap { $0 }
            #expect(all.count == 240, "each delivery claimed exactly once")
            #expect(Set(all).count == 240)
            #expect(try await inboxes[0].countAwaitingProcessing() == 240, "claimed work still waits to be settled")
        }
    }

    @Test func aDeliveryAnotherInstanceIsClaimingIsSkippedNotWaitedFor() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let inbox = PostgresDeliveryInbox(database: databases[1])
            for id in ["evt_1", "evt_2", "evt_3"] { _ = try await inbox.ingest(delivery(id)) }
            let (locked, lockTaken) = AsyncStream.makeStream(of: Void.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The first instance holds evt_1's row lock, as its claim does until it commits.
                group.addTask {
                    try await databases[0].transaction { connection in
                        try await connection.execute("SELECT id FROM delivery WHERE vendor_delivery_id = 'evt_1' FOR UPDATE", logger: PostgresTestDatabase.logger)
                        lockTaken.yield()
                        try await Task.sleep(for: .seconds(2))
                    }
                }
                for await _ in locked { break }
                let started = ContinuousClock.now
                let claimed = try await inbox.claimDeliveries(limit: 10, lease: 60, at: Date(timeIntervalSince1970: 1_800_000_000))
                // Waiting for the lock and then claiming evt_1 too would be the behaviour without SKIP LOCKED.
                #expect(claimed.map(\.vendorDeliveryID) == ["evt_2", "evt_3"])
                #expect(ContinuousClock.now - started < .seconds(1.5), "the claim did not wait for the other instance")
                try await group.waitForAll()
            }
            #expect(try await inbox.delivery(DeliveryID(1))?.status == .stored)
        }
    }

    @Test func releasingClaimsAtStartLeavesTheClaimsOtherInstancesHold() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let starting = PostgresDeliveryInbox(database: databases[0])
            let running = PostgresDeliveryInbox(database: databases[1])
            // A claim a live instance holds now…
            let live = try await running.ingest(delivery("evt_live")).deliveryID
            #expect(try await running.claimDeliveries(limit: 1, lease: 600, at: Date()).map(\.id) == [live])
            // …and one whose lease ran out long ago (its instance died), by the database's clock.
            let stale = try await running.ingest(delivery("evt_stale")).deliveryID
            #expect(try await running.claimDeliveries(limit: 1, lease: 60, at: Date().addingTimeInterval(-3600)).map(\.id) == [stale])

            #expect(try await starting.releaseClaims() == 1)
            #expect(try await starting.delivery(stale)?.status == .stored)
            #expect(try await starting.delivery(live)?.status == .processing)
            #expect(try await starting.releaseClaims() == 0)
        }
    }
}
