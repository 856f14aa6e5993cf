import Foundation
import GatewayCore
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import GatewayTestSupport
import PostgresNIO
import Testing

/// The SQLite inbox's behaviours (Tests/GatewayStoreTests/RepositoryTests.swift), on PostgreSQL.
@Suite(PostgresTestDatabase.enabled) struct PostgresInboxTests {
    func delivery(_ id: String, source: String = "stripe", at date: Date = Date(timeIntervalSince1970: 1_748_736_010)) -> IncomingDelivery {
        IncomingDelivery(
            source: source, vendorDeliveryID: id, eventType: "invoice.paid", receivedAt: date,
            requestID: "req-\(id)", body: Data(#"{"id":"\#(id)"}"#.utf8), headers: ["stripe-signature": "t=1,v1=00"],
            verification: Verification(scheme: "stripe", matchedSecretIndex: 0, signedAt: Date(timeIntervalSince1970: 1_748_736_000)))
    }

    @Test func aDeliveryIsStoredOncePerSourceAndVendorID() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let inbox = PostgresDeliveryInbox(database: database)
            let first = try await inbox.ingest(delivery("evt_1"))
            let retry = try await inbox.ingest(delivery("evt_1"))
            let otherSource = try await inbox.ingest(delivery("evt_1", source: "billing-co"))
            guard case .stored(let id) = first, case .duplicate(let same) = retry, case .stored(let other) = otherSource else {
                Issue.record("unexpected outcomes \(first) \(retry) \(otherSource)")
                return
            }
            #expect(same == id)
            #expect(other != id)
            #expect(try await inbox.countAwaitingProcessing() == 2)
            let stored = try #require(try await inbox.delivery(id))
            #expect(stored.body == delivery("evt_1").body)
            #expect(stored.headers == ["stripe-signature": "t=1,v1=00"])
            #expect(stored.verification == delivery("evt_1").verification)
            #expect(stored.status == .stored)
            #expect(stored.requestID == "req-evt_1")
            #expect(stored.receivedAt == Date(timeIntervalSince1970: 1_748_736_010))
            #expect(stored.eventType == "invoice.paid")
        }
    }

    @Test func concurrentDeliveriesAreEachAnsweredWithTheirOwnRow() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let inbox = PostgresDeliveryInbox(database: database)
            let outcomes = try await withThrowingTaskGroup(of: (String, IngestOutcome).self) { group in
                for index in 0..<300 {
                    // Every third delivery is a retry of another one, racing it.
                    let id = "evt_\(index % 200)"
                    group.addTask { (id, try await inbox.ingest(delivery(id))) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let stored = outcomes.filter { if case .stored = $0.1 { true } else { false } }
            #expect(stored.count == 200)
            #expect(Set(stored.map(\.1.deliveryID)).count == 200)
            for (vendorID, outcome) in outcomes {
                #expect(try await inbox.delivery(outcome.deliveryID)?.vendorDeliveryID == vendorID)
            }
            #expect(try await inbox.countAwaitingProcessing() == 200)
        }
    }

    @Test func aVendorRetryReachingTwoInstancesAtOnceIsOneRowAndDuplicates() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let inboxes = databases.map(PostgresDeliveryInbox.init(database:))
            // Each of 40 deliveries is sent 6 times, alternately to each instance, all at once.
            let outcomes = try await withThrowingTaskGroup(of: (String, IngestOutcome).self) { group in
                for round in 0..<6 {
                    for index in 0..<40 {
                        let inbox = inboxes[(round + index) % 2]
                        let id = "evt_\(index)"
                        group.addTask { (id, try await inbox.ingest(delivery(id))) }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for index in 0..<40 {
                let mine = outcomes.filter { $0.0 == "evt_\(index)" }.map(\.1)
                let stored = mine.filter { if case .stored = $0 { true } else { false } }
                #expect(stored.count == 1, "evt_\(index) stored \(stored.count) times")
                #expect(Set(mine.map(\.deliveryID)).count == 1, "every outcome names the one row")
                #expect(try await inboxes[0].delivery(mine[0].deliveryID)?.duplicateCount == 5)
            }
            let rows = try await databases[0].rows("SELECT COUNT(*) FROM delivery")
            #expect(try rows.first?.decode(Int.self) == 40)
        }
    }

    @Test func aRetryFromTheVendorIsCountedOnTheStoredDelivery() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let inbox = PostgresDeliveryInbox(database: database)
            let id = try await inbox.ingest(delivery("evt_1")).deliveryID
            _ = try await inbox.ingest(delivery("evt_1", at: Date(timeIntervalSince1970: 1_748_736_100)))
            _ = try await inbox.ingest(delivery("evt_1", at: Date(timeIntervalSince1970: 1_748_736_200)))
            _ = try await inbox.ingest(delivery("evt_2"))
            let stored = try #require(try await inbox.delivery(id))
            #expect(stored.duplicateCount == 2)
            #expect(stored.lastDuplicateAt == Date(timeIntervalSince1970: 1_748_736_200))
            #expect(try await inbox.deliveries(matching: DeliveryQuery(duplicatesOnly: true)).map(\.id) == [id])
        }
    }

    @Test func deliveriesAreFoundByEachFilterNewestFirst() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let inbox = PostgresDeliveryInbox(database: database)
            let day = Date(timeIntervalSince1970: 1_748_736_000)
            let a = try await inbox.ingest(delivery("a", at: day)).deliveryID
            let b = try await inbox.ingest(delivery("b", source: "quickbooks", at: day.addingTimeInterval(3600))).deliveryID
            let c = try await inbox.ingest(delivery("c", at: day.addingTimeInterval(7200))).deliveryID
            try await inbox.settle([(b, .ignored(reason: "unmapped", adapterVersion: 2))], rules: LedgerService(), at: day)

            #expect(try await inbox.deliveries(matching: DeliveryQuery()).map(\.id) == [c, b, a])
            #expect(try await inbox.deliveries(matching: DeliveryQuery(limit: 2)).map(\.id) == [c, b])
            #expect(try await inbox.deliveries(matching: DeliveryQuery(beforeID: c.rawValue)).map(\.id) == [b, a])
            #expect(try await inbox.deliveries(matching: DeliveryQuery(source: "stripe")).map(\.id) == [c, a])
            #expect(try await inbox.deliveries(matching: DeliveryQuery(statuses: [.ignored])).map(\.id) == [b])
            #expect(try await inbox.deliveries(matching: DeliveryQuery(statuses: [.ignored, .stored])).map(\.id) == [c, b, a])
            #expect(try await inbox.deliveries(matching: DeliveryQuery(vendorDeliveryID: "a")).map(\.id) == [a])
            #expect(try await inbox.deliveries(matching: DeliveryQuery(eventType: "invoice.voided")).isEmpty)
            #expect(
                try await inbox.deliveries(matching: DeliveryQuery(receivedFrom: day.addingTimeInterval(1), receivedBefore: day.addingTimeInterval(7200)))
                    .map(\.id) == [b])
            #expect(try await inbox.deliveryIDs(matching: DeliveryQuery(source: "stripe", limit: 1)) == [a, c], "oldest first, the limit ignored")
            #expect(try await inbox.countAwaitingProcessing() == 2)
            #expect(try await inbox.oldestAwaitingProcessing() == day)
            let ignored = try #require(try await inbox.delivery(b))
            #expect(ignored.statusReason == "unmapped")
            #expect(ignored.adapterVersion == 2)
            #expect(ignored.attempts == 1)
        }
    }

    @Test func retriesWaitForTheirTimeWithoutHoldingUpNewerDeliveries() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let inbox = PostgresDeliveryInbox(database: database)
            let old = try await inbox.ingest(delivery("evt_old")).deliveryID
            let t0 = Date(timeIntervalSince1970: 1_800_000_000)
            _ = try await inbox.claimDeliveries(limit: 10, lease: 60, at: t0)
            try await inbox.settle([(old, .retry(reason: "vendor down", adapterVersion: 1, at: t0.addingTimeInterval(300)))], rules: LedgerService(), at: t0)
            _ = try await inbox.ingest(delivery("evt_new"))

            #expect(try await inbox.claimDeliveries(limit: 10, lease: 3600, at: t0.addingTimeInterval(1)).map(\.vendorDeliveryID) == ["evt_new"])
            #expect(try await inbox.claimDeliveries(limit: 10, lease: 60, at: t0.addingTimeInterval(301)).map(\.vendorDeliveryID) == ["evt_old"])
            #expect(try await inbox.delivery(old)?.attempts == 1)
        }
    }

    @Test func oldProcessedBodiesArePrunedButFailedAndDeadOnesAreKept() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let inbox = PostgresDeliveryInbox(database: database)
            let old = Date(timeIntervalSince1970: 1_700_000_000)
            let ids = [
                try await inbox.ingest(delivery("processed", at: old)).deliveryID,
                try await inbox.ingest(delivery("failed", at: old)).deliveryID,
                try await inbox.ingest(delivery("dead", at: old)).deliveryID,
                try await inbox.ingest(delivery("recent", at: old.addingTimeInterval(90 * 86_400))).deliveryID,
            ]
            let event = BusinessEvent.customerSeen(CustomerSeen(customer: CustomerReference(source: "stripe", id: "cus_1"), seenAt: old))
            let statuses = try await inbox.settle(
                [(ids[0], .mapped([event], adapterVersion: 1)), (ids[1], .failed(reason: "malformed_body", adapterVersion: 1)),
                    (ids[2], .dead(reason: "vendor down", adapterVersion: 1)), (ids[3], .mapped([event], adapterVersion: 1))],
                rules: LedgerService(), at: old)
            #expect(statuses == [ids[0]: .processed, ids[1]: .failed, ids[2]: .dead, ids[3]: .processed])

            let pruned = try await inbox.pruneBodies(of: [.processed, .ignored], receivedBefore: old.addingTimeInterval(30 * 86_400), at: old.addingTimeInterval(100 * 86_400))
            #expect(pruned == 1)
            #expect(try await inbox.pruneBodies(of: [.processed], receivedBefore: old.addingTimeInterval(30 * 86_400), at: old) == 0, "pruned once")
            let kept = try await inbox.delivery(ids[0])
            #expect(kept?.body.isEmpty == true)
            #expect(kept?.bodyPrunedAt == old.addingTimeInterval(100 * 86_400))
            #expect(kept?.status == .processed)
            #expect(try await inbox.businessEvents(of: ids[0]).map(\.event) == [event], "events stay")
            for id in ids.dropFirst() {
                #expect(try await inbox.delivery(id)?.body.isEmpty == false)
            }
        }
    }

    @Test func mappedEventsAreRecordedWithTheirLookupKeysAndExplained() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let inbox = PostgresDeliveryInbox(database: database)
            let at = Date(timeIntervalSince1970: 1_748_736_000)
            let first = try await inbox.ingest(delivery("evt_1")).deliveryID
            let second = try await inbox.ingest(delivery("evt_2")).deliveryID
            let event = BusinessEvent.customerSeen(CustomerSeen(customer: CustomerReference(source: "stripe", id: "cus_9"), seenAt: at))
            try await inbox.settle([(first, .mapped([event], adapterVersion: 3))], rules: LedgerService(), at: at)
            try await inbox.settle([(second, .mapped([event], adapterVersion: 3))], rules: LedgerService(), at: at)

            let recorded = try await inbox.businessEvents(of: first)
            #expect(recorded.map(\.event) == [event])
            #expect(recorded.first?.adapterVersion == 3)
            // The ledger service's words, given the first delivery that carried the business key.
            let expected = LedgerService().explain([event], of: second, explanations: [:], firstDelivery: [event.businessKey: first])
            #expect(try await inbox.businessEvents(of: second).map(\.explanation) == expected)
            #expect(try await inbox.delivery(second)?.statusReason == expected.joined(separator: "; "))
            #expect(try await inbox.customerIsKnown(try #require(event.customerKey)))
            #expect(try await !inbox.customerIsKnown("vendor:stripe:cus_unknown"))
            #expect(try await inbox.deliveries(matching: DeliveryQuery(customerKey: event.customerKey)).map(\.id) == [second, first])
            let keys = try await database.rows("SELECT key FROM business_event_key WHERE delivery_id = \(first.rawValue) ORDER BY key")
                .map { try $0.decode(String.self) }
            #expect(keys == Set(event.lookupKeys).sorted())

            // Settled again (a replay after a mapping fix), a delivery's events are replaced, not added.
            try await inbox.settle([(first, .ignored(reason: "unmapped now", adapterVersion: 4))], rules: LedgerService(), at: at)
            #expect(try await inbox.businessEvents(of: first).isEmpty)
            let left = try await database.rows("SELECT COUNT(*) FROM business_event_key WHERE delivery_id = \(first.rawValue)")
            #expect(try left.first?.decode(Int.self) == 0)
        }
    }

    @Test func aBatchThatConcernsTheProgramRecomputesTheLedgerInItsTransaction() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let store = PostgresStore(database: database, outboundEvents: OutboundEvents())
            let inbox = store.inbox
            try await Stories.brightDental(ProgramService(store: store), at: Events.date("2025-05-01"))
            let at = Events.date("2025-07-01")
            let referred = try await inbox.ingest(delivery("evt_referred")).deliveryID
            let unrelated = try await inbox.ingest(delivery("evt_unrelated")).deliveryID
            let payment = Events.paid("in_1", customer: "cus_bd", email: "ap@brightdental.example", dollars: 1000, on: "2025-06-01")
            let stranger = Events.paid("in_9", customer: "cus_other", email: "ap@other.example", dollars: 500, on: "2025-06-02")
            let statuses = try await inbox.settle(
                [(referred, .mapped([payment], adapterVersion: 1)), (unrelated, .mapped([stranger], adapterVersion: 1))], rules: LedgerService(), at: at)
            #expect(statuses == [referred: .processed, unrelated: .processed])

            let lines = try await store.ledger.accruals(fromDelivery: referred)
            #expect(lines.map(\.line.amount) == [Events.usd(100)], "10 % of the referred customer's payment")
            #expect(try await store.ledger.accruals(fromDelivery: unrelated).isEmpty)
            #expect(try await store.ledger.contracts().count == 1)
            // Each delivery says what its events did, in the ledger's words.
            #expect(try await inbox.delivery(referred)?.statusReason != inbox.delivery(unrelated)?.statusReason)
            #expect(try await inbox.customerIsKnown("vendor:stripe:cus_bd"))
        }
    }

    @Test func refusalsAreKeptTrimmedAndCountedExactly() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            let inbox = PostgresDeliveryInbox(database: database)
            let t0 = Date(timeIntervalSince1970: 1_748_736_000)
            func rejection(_ index: Int, source: String = "stripe", code: String = "no_signature_matched") -> Rejection {
                Rejection(
                    at: t0.addingTimeInterval(Double(index)), source: source, code: code, reason: "no secret matched", status: 401,
                    size: 100 + index, remoteAddress: "192.0.2.\(index)", requestID: "req-\(index)")
            }
            try await inbox.recordRejections(
                [rejection(0), rejection(1), rejection(2, source: "quickbooks", code: "body_too_large")],
                counted: [RejectionCount(source: "stripe", code: "no_signature_matched", count: 9),
                    RejectionCount(source: "quickbooks", code: "body_too_large", count: 1)],
                keepAfter: t0, maxRows: 100)
            // A second flush: the oldest beyond two rows go, and whatever is older than keepAfter.
            try await inbox.recordRejections(
                [rejection(3)], counted: [RejectionCount(source: "stripe", code: "no_signature_matched", count: 4)],
                keepAfter: t0.addingTimeInterval(0.5), maxRows: 2)

            #expect(try await inbox.rejections(source: nil, code: nil, since: nil, limit: 10) == [rejection(3), rejection(2, source: "quickbooks", code: "body_too_large")])
            #expect(try await inbox.rejections(source: "stripe", code: nil, since: nil, limit: 10) == [rejection(3)])
            #expect(try await inbox.rejections(source: nil, code: "body_too_large", since: nil, limit: 10).count == 1)
            #expect(try await inbox.rejections(source: nil, code: nil, since: t0.addingTimeInterval(3), limit: 10) == [rejection(3)])
            #expect(
                try await inbox.rejectionCounts() == [
                    RejectionCount(source: "quickbooks", code: "body_too_large", count: 1),
                    RejectionCount(source: "stripe", code: "no_signature_matched", count: 13),
                ])
        }
    }
}
