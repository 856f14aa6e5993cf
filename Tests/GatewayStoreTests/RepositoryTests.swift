import Foundation
import GRDB
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import Testing

@Suite struct InboxRepositoryTests {
    func delivery(_ id: String, source: String = "stripe") -> IncomingDelivery {
        IncomingDelivery(
            source: source, vendorDeliveryID: id, eventType: "invoice.paid", receivedAt: Date(timeIntervalSince1970: 1_748_736_010),
            requestID: "req-\(id)", body: Data(#"{"id":"\#(id)"}"#.utf8), headers: ["stripe-signature": "t=1,v1=00"],
            verification: Verification(scheme: "stripe", matchedSecretIndex: 0, signedAt: Date(timeIntervalSince1970: 1_748_736_000)))
    }

    @Test func theWriterIsInWALModeWithSynchronousFull() throws {
        let temporary = try TemporaryStore()
        #expect(try temporary.sqlite.writerSynchronousLevel() == 2)
        let journal = try DatabaseQueue(path: temporary.sqlite.path).read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
    }

    @Test func aDeliveryIsStoredOncePerSourceAndVendorID() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let first = try await store.inbox.ingest(delivery("evt_1"))
        let retry = try await store.inbox.ingest(delivery("evt_1"))
        let otherSource = try await store.inbox.ingest(delivery("evt_1", source: "billing-co"))
        guard case .stored(let id) = first, case .duplicate(let same) = retry, case .stored(let other) = otherSource else {
            Issue.record("unexpected outcomes \(first) \(retry) \(otherSource)")
            return
        }
        #expect(same == id)
        #expect(other != id)
        #expect(try await store.inbox.countAwaitingProcessing() == 2)
        let stored = try #require(try await store.inbox.delivery(id))
        #expect(stored.body == delivery("evt_1").body)
        #expect(stored.headers == ["stripe-signature": "t=1,v1=00"])
        #expect(stored.verification.matchedSecretIndex == 0)
        #expect(stored.status == .stored)
        #expect(stored.requestID == "req-evt_1")
    }

    @Test func concurrentDeliveriesAreGroupCommittedAndEachAnsweredWithItsOwnRow() async throws {
        let directory = try TemporaryDirectory()
        let store: any Repositories = try SQLiteStore(directory: directory.url, outboundEvents: OutboundEvents(), ingestBatchLimit: 16)
        let outcomes = try await withThrowingTaskGroup(of: (String, IngestOutcome).self) { group in
            for index in 0..<300 {
                // Every third delivery is a retry of another one, racing it.
                let id = "evt_\(index % 200)"
                group.addTask { (id, try await store.inbox.ingest(delivery(id))) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let stored = outcomes.filter { if case .stored = $0.1 { true } else { false } }
        #expect(stored.count == 200)
        #expect(Set(stored.map(\.1.deliveryID)).count == 200)
        for (vendorID, outcome) in outcomes {
            #expect(try await store.inbox.delivery(outcome.deliveryID)?.vendorDeliveryID == vendorID)
        }
        #expect(try await store.inbox.countAwaitingProcessing() == 200)
    }

    @Test func anAcknowledgedDeliveryIsInTheFileWhenItIsOpenedAfresh() async throws {
        let directory = try TemporaryDirectory()
        let outcome = try await SQLiteStore(directory: directory.url, outboundEvents: OutboundEvents()).inbox.ingest(delivery("evt_durable"))
        // A separate connection on the same file, as a new process would open it.
        let count = try await DatabaseQueue(path: directory.url.appendingPathComponent(SQLiteStore.fileName).path).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM delivery WHERE id = ? AND vendor_delivery_id = 'evt_durable'", arguments: [outcome.deliveryID.rawValue])
        }
        #expect(count == 1)
    }

    @Test func processingWritesEventsAccrualsAndStatusTogether() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let story = try await Stories.brightDental(temporary.program, planName: "10% first year", months: 12)
        let (partner, referral) = (story.partner, story.referral)
        let introduced = try DateInput.parse("2025-05-20", field: "introduced")
        let paid = BusinessEvent.invoicePaid(
            InvoicePaid(
                invoiceID: "in_1", customer: CustomerReference(source: "stripe", id: "cus_1", email: "ap@brightdental.example"),
                amountPaid: Money(minorUnits: 49_900, currency: CurrencyCode("USD")!), paidAt: introduced.addingTimeInterval(86_400)))
        let a = try await store.inbox.ingest(delivery("evt_a")).deliveryID
        let b = try await store.inbox.ingest(delivery("evt_b")).deliveryID
        let c = try await store.inbox.ingest(delivery("evt_c")).deliveryID

        let statuses = try await store.inbox.settle(
            [(a, .mapped([paid], adapterVersion: 1)), (b, .mapped([paid], adapterVersion: 1)), (c, .ignored(reason: "unmapped", adapterVersion: 1))],
            rules: LedgerService(), at: Date())
        #expect(statuses == [a: .processed, b: .processed, c: .ignored])

        let accruals = try await store.ledger.accruals(partner: partner.id)
        #expect(accruals.count == 1)
        #expect(accruals.first?.line.amount.minorUnits == 4_990)
        #expect(accruals.first?.line.sourceDelivery == a)
        #expect(try await store.ledger.contracts().map(\.referralID) == [referral.referral.id])
        #expect(try await temporary.program.referrals(at: Date()).first?.status == .signed)
        let events = try await store.inbox.businessEvents(of: a)
        #expect(events.map(\.event) == [paid])
        #expect(events.first?.adapterVersion == 1)
        #expect(try await store.inbox.delivery(a)?.statusReason?.contains("accrued 49.90 USD") == true)
        #expect(try await store.inbox.delivery(c)?.statusReason == "unmapped")
        #expect(try await store.inbox.countAwaitingProcessing() == 0)
    }

    @Test func referralsNeedAnExistingPartnerAndPlanAndPlanNamesAreUnique() async throws {
        let temporary = try TemporaryStore()
        await #expect(throws: GatewayError.notFound("partner 9 does not exist")) {
            try await temporary.program.addReferral(ReferralInput(partnerID: 9, planID: 1, prospectName: "X"), at: Date())
        }
        let plan = PlanInput(name: "p", terms: PlanTerms(rules: [.recurringShare(rate: BasisPoints(100), months: nil)]))
        _ = try await temporary.program.addPlan(plan, at: Date())
        await #expect(throws: GatewayError.conflict("a plan named p exists")) { try await temporary.program.addPlan(plan, at: Date()) }
    }
}

@Suite struct DeliveryClaimTests {
    func delivery(_ id: String) -> IncomingDelivery {
        IncomingDelivery(
            source: "stripe", vendorDeliveryID: id, eventType: "invoice.paid", receivedAt: Date(timeIntervalSince1970: 1_748_736_010), requestID: nil,
            body: Data("{}".utf8), headers: [:], verification: Verification(scheme: "stripe", matchedSecretIndex: 0))
    }

    @Test func workClaimedByACrashedProcessorIsReclaimedAfterTheLease() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        _ = try await store.inbox.ingest(delivery("evt_1"))
        _ = try await store.inbox.ingest(delivery("evt_2"))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)

        let first = try await store.inbox.claimDeliveries(limit: 10, lease: 60, at: t0)
        #expect(first.map(\.vendorDeliveryID) == ["evt_1", "evt_2"])
        // The processor that claimed them dies; another looks before the lease ends…
        #expect(try await store.inbox.claimDeliveries(limit: 10, lease: 60, at: t0.addingTimeInterval(30)).isEmpty)
        // …and after.
        let reclaimed = try await store.inbox.claimDeliveries(limit: 10, lease: 60, at: t0.addingTimeInterval(61))
        #expect(reclaimed.map(\.vendorDeliveryID) == ["evt_1", "evt_2"])
        #expect(reclaimed.allSatisfy { $0.status == .processing })
    }

    @Test func claimsGivenBackByAFailedPassAreClaimedAgainAtOnceButASettledOneStaysSettled() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let ids = [try await store.inbox.ingest(delivery("evt_1")).deliveryID, try await store.inbox.ingest(delivery("evt_2")).deliveryID]
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        _ = try await store.inbox.claimDeliveries(limit: 10, lease: 600, at: t0)
        try await store.inbox.settle([(ids[0], .ignored(reason: "not ours", adapterVersion: 1))], rules: LedgerService(), at: t0)

        try await store.inbox.releaseClaims(of: ids)
        #expect(try await store.inbox.claimDeliveries(limit: 10, lease: 600, at: t0.addingTimeInterval(1)).map(\.id) == [ids[1]], "not after the lease: now")
        #expect(try await store.inbox.delivery(ids[0])?.status == .ignored)
    }

    @Test func retriesWaitForTheirTimeWithoutHoldingUpNewerDeliveries() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let old = try await store.inbox.ingest(delivery("evt_old")).deliveryID
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        _ = try await store.inbox.claimDeliveries(limit: 10, lease: 60, at: t0)
        try await store.inbox.settle([(old, .retry(reason: "vendor down", adapterVersion: 1, at: t0.addingTimeInterval(300)))], rules: LedgerService(), at: t0)
        _ = try await store.inbox.ingest(delivery("evt_new"))

        #expect(try await store.inbox.claimDeliveries(limit: 10, lease: 3600, at: t0.addingTimeInterval(1)).map(\.vendorDeliveryID) == ["evt_new"])
        #expect(try await store.inbox.claimDeliveries(limit: 10, lease: 60, at: t0.addingTimeInterval(301)).map(\.vendorDeliveryID) == ["evt_old"])
        #expect(try await store.inbox.delivery(old)?.attempts == 1)
    }

    @Test func aRetryFromTheVendorIsCountedOnTheStoredDelivery() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let id = try await store.inbox.ingest(delivery("evt_1")).deliveryID
        _ = try await store.inbox.ingest(delivery("evt_1"))
        _ = try await store.inbox.ingest(delivery("evt_1"))
        #expect(try await store.inbox.delivery(id)?.duplicateCount == 2)
        #expect(try await store.inbox.deliveries(matching: DeliveryQuery(duplicatesOnly: true)).map(\.id) == [id])
    }
}

@Suite struct RetentionTests {
    @Test func oldProcessedBodiesArePrunedButFailedAndDeadOnesAreKept() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        func delivery(_ id: String, at date: Date) -> IncomingDelivery {
            IncomingDelivery(
                source: "stripe", vendorDeliveryID: id, eventType: "invoice.paid", receivedAt: date, requestID: nil,
                body: Data(#"{"id":"\#(id)"}"#.utf8), headers: [:], verification: Verification(scheme: "stripe", matchedSecretIndex: 0))
        }
        let old = Date(timeIntervalSince1970: 1_700_000_000)
        let ids = [
            try await store.inbox.ingest(delivery("processed", at: old)).deliveryID,
            try await store.inbox.ingest(delivery("failed", at: old)).deliveryID,
            try await store.inbox.ingest(delivery("dead", at: old)).deliveryID,
            try await store.inbox.ingest(delivery("recent", at: old.addingTimeInterval(90 * 86_400))).deliveryID,
        ]
        let event = BusinessEvent.customerSeen(CustomerSeen(customer: CustomerReference(source: "stripe", id: "cus_1"), seenAt: old))
        try await store.inbox.settle(
            [(ids[0], .mapped([event], adapterVersion: 1)), (ids[1], .failed(reason: "malformed_body", adapterVersion: 1)),
                (ids[2], .dead(reason: "vendor down", adapterVersion: 1)), (ids[3], .mapped([event], adapterVersion: 1))], rules: LedgerService(), at: old)

        let pruned = try await RetentionService.prune(store, keepingSeconds: 70 * 86_400, at: old.addingTimeInterval(100 * 86_400))
        #expect(pruned == 1)
        let kept = try await store.inbox.delivery(ids[0])
        #expect(kept?.body.isEmpty == true)
        #expect(kept?.bodyPrunedAt != nil)
        #expect(kept?.status == .processed)
        #expect(try await store.inbox.businessEvents(of: ids[0]).count == 1, "events stay")
        for id in ids.dropFirst() {
            #expect(try await store.inbox.delivery(id)?.body.isEmpty == false)
        }
    }
}

@Suite struct GroupCommitLingerTests {
    @Test func aLingeringWriterHoldsDeliveriesUntilItWritesThemAllDurably() async throws {
        let directory = try TemporaryDirectory()
        let store: any Repositories = try SQLiteStore(directory: directory.url, outboundEvents: OutboundEvents(), ingestBatchLimit: 64, ingestLinger: .milliseconds(200))
        let clock = ContinuousClock()
        let start = clock.now
        let outcomes = try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
            for index in 0..<20 {
                group.addTask { try await store.inbox.ingest(InboxRepositoryTests().delivery("evt_linger_\(index)")) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        // Nobody was answered before the linger ran out, and every delivery is stored once.
        #expect(clock.now - start >= .milliseconds(200))
        #expect(outcomes.count == 20)
        #expect(Set(outcomes.compactMap { if case .stored(let id) = $0 { id } else { nil } }).count == 20)
    }
}
