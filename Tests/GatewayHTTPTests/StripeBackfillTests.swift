import AsyncHTTPClient
import Foundation
import GatewayAdapters
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayTestSupport
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// The Stripe backfill against a loopback fake of Stripe's invoices and credit notes lists:
/// paging, filters, what each stored delivery holds, a second run, and the API's refusals.
@Suite struct StripeBackfillTests {
    static let now = Events.date("2026-12-05")
    static let since = Events.date("2024-12-01")

    /// 250 paid invoices of client 1, one a day from 1 December 2024, the one before it, an open
    /// one, and two credit notes.
    static func account(_ fake: FakeStripe) throws -> [String] {
        var paidIDs: [String] = []
        var invoices: [JSONValue] = []
        for day in 0..<250 {
            let id = "in_day\(day)"
            paidIDs.append(id)
            let paidAt = since.addingTimeInterval(Double(day) * 86_400 + 7_200)
            invoices.append(try StripeHistory.object(of: try StripeHistory.invoicePaid(id, client: 1, cents: 10_000, paidAt: paidAt)))
        }
        // Paid the day before `since`: outside the backfill.
        invoices.append(try StripeHistory.object(of: try StripeHistory.invoicePaid("in_before", client: 1, cents: 10_000, paidAt: since.addingTimeInterval(-86_400))))
        // Open, not paid: a backfill of paid invoices leaves it.
        let open = try StripeHistory.invoicePaid("in_open", client: 1, cents: 10_000, paidAt: since.addingTimeInterval(86_400))
            .replacingOccurrences(of: #""status": "paid""#, with: #""status": "open""#)
        invoices.append(try StripeHistory.object(of: open))
        let notes = try [("cn_1", "in_day3"), ("cn_2", "in_day40")].map { id, invoice in
            try StripeHistory.object(of: try StripeHistory.creditNote(id, invoice: invoice, client: 1, cents: 2_500, at: since.addingTimeInterval(50 * 86_400)))
        }
        fake.state.withLock {
            $0.invoices = invoices
            $0.creditNotes = notes
        }
        return paidIDs
    }

    static func backfill(_ store: any Repositories, port: Int, key: String = FakeStripe.apiKey) -> StripeBackfill {
        StripeBackfill(
            credentials: .init(apiKey: Secret(key), apiBase: URL(string: "http://127.0.0.1:\(port)")!), client: HTTPClient.shared, store: store,
            retry: RetryPolicy(attempts: 3, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50)), now: { now })
    }

    static func deliveries(_ store: any Repositories) async throws -> [StoredDelivery] {
        try await store.inbox.deliveries(matching: DeliveryQuery(limit: 1_000))
    }

    @Test func pagesThroughPaidInvoicesAndCreditNotesAndStoresEachOnceAsTheWebhookEventWouldCarryIt() async throws {
        let fake = FakeStripe()
        let paidIDs = try Self.account(fake)
        try await fake.application.test(.live) { fakeClient in
            let gateway = try TestGateway(now: { Self.now })
            let port = try #require(fakeClient.port)
            let reports = Mutex<[StripeBackfill.Progress]>([])
            let summary = try await Self.backfill(gateway.store, port: port).run(since: Self.since) { progress in
                reports.withLock { $0.append(progress) }
            }
            #expect(summary.stored == ["invoices": 250, "credit_notes": 2])
            #expect(summary.fetched == ["invoices": 250, "credit_notes": 2])

            // Three pages of invoices (100, 100, 50), newest first, each after the last id of the one before.
            let requests = fake.state.withLock { $0.listRequests }
            #expect(requests.count == 4)
            #expect(requests[0].hasPrefix("/v1/invoices?") && requests[0].contains("status=paid") && !requests[0].contains("starting_after"))
            #expect(requests[0].contains("created%5Bgte%5D=1733011200") || requests[0].contains("created[gte]=1733011200"))
            #expect(requests[1].hasSuffix("starting_after=\(paidIDs[150])"))
            #expect(requests[2].hasSuffix("starting_after=\(paidIDs[50])"))
            #expect(requests[3].hasPrefix("/v1/credit_notes?"))
            let progress = reports.withLock { $0 }
            #expect(progress.map(\.fetched) == [100, 200, 250, 2])
            #expect(progress.map(\.fractionDone).last == 1)
            #expect(progress[0].fractionDone > 0 && progress[0].fractionDone < progress[1].fractionDone)

            let stored = try await Self.deliveries(gateway.store)
            #expect(stored.count == 252)
            #expect(stored.allSatisfy { $0.source == "stripe" && $0.verification.scheme == "backfill:stripe-api" && $0.status == .stored })
            let first = try #require(stored.first { $0.vendorDeliveryID == "backfill:in_day3:paid" })
            #expect(first.eventType == "invoice.paid")
            let envelope = try JSONValue.parse(first.body)
            #expect(envelope.value(at: FieldPath("object")) == .string("event"))
            #expect(envelope.value(at: FieldPath("type")) == .string("invoice.paid"))
            // Created when it was paid, as Stripe's own event is.
            #expect(envelope.value(at: FieldPath("created"))?.scalarText == String(Int(Self.since.timeIntervalSince1970) + 3 * 86_400 + 7_200))
            let object = try #require(fake.state.withLock { $0.invoices.first { $0.value(at: FieldPath("id")) == .string("in_day3") } })
            #expect(envelope.value(at: FieldPath("data.object")) == object)
            #expect(stored.contains { $0.vendorDeliveryID == "backfill:cn_2:created" && $0.eventType == "credit_note.created" })
            #expect(!stored.contains { $0.vendorDeliveryID.contains("in_before") || $0.vendorDeliveryID.contains("in_open") })

            // A second run reads everything again and stores nothing.
            let again = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(again.totalStored == 0)
            #expect(again.fetched == ["invoices": 250, "credit_notes": 2])
            #expect(try await Self.deliveries(gateway.store).count == 252)
        }
    }

    @Test func aRateLimitIsWaitedOutForItsRetryAfterAndAnOutageRetried() async throws {
        let fake = FakeStripe()
        _ = try Self.account(fake)
        fake.state.withLock { $0.listFailures = [.rateLimited(retryAfter: 1), .unavailable, .unavailable] }
        try await fake.application.test(.live) { fakeClient in
            let gateway = try TestGateway(now: { Self.now })
            let started = ContinuousClock.now
            let port = try #require(fakeClient.port)
            let summary = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(ContinuousClock.now - started >= .seconds(1))
            #expect(summary.totalStored == 252)
            // 4 pages, 3 of the first asked again.
            #expect(fake.state.withLock { $0.listRequests.count } == 7)
        }
    }

    @Test func anOutageThatOutlastsTheRetriesStopsTheRunSayingSo() async throws {
        let fake = FakeStripe()
        _ = try Self.account(fake)
        fake.state.withLock { $0.listFailures = [.unavailable, .unavailable, .unavailable] }
        try await fake.application.test(.live) { fakeClient in
            let gateway = try TestGateway(now: { Self.now })
            let port = try #require(fakeClient.port)
            let failure = await #expect(throws: FetchFailure.self) { try await Self.backfill(gateway.store, port: port).run(since: Self.since) }
            #expect(failure?.reason == "Stripe could not serve the invoices list: HTTP 503 (gave up after 3 attempts)")
            #expect(try await Self.deliveries(gateway.store).isEmpty)
        }
    }

    @Test func aRefusedKeyStopsTheRunWithTheReasonAndTheNextRunResumesAfterTheLastStoredPage() async throws {
        let fake = FakeStripe()
        let paidIDs = try Self.account(fake)
        fake.state.withLock { $0.unauthorizedAfterPages = 1 }
        try await fake.application.test(.live) { fakeClient in
            let gateway = try TestGateway(now: { Self.now })
            let port = try #require(fakeClient.port)
            let failure = await #expect(throws: FetchFailure.self) { try await Self.backfill(gateway.store, port: port).run(since: Self.since) }
            // Stripe's message repeats part of the key: not passed on.
            #expect(failure?.reason == "Stripe refused the API key (HTTP 401): check GATEWAY_STRIPE_API_KEY")
            #expect(failure?.transient == false)
            // The first page stayed stored; a 401 is not retried.
            #expect(try await Self.deliveries(gateway.store).count == 100)
            #expect(fake.state.withLock { $0.listRequests.count } == 2)

            fake.state.withLock {
                $0.unauthorizedAfterPages = nil
                $0.listRequests = []
            }
            let resumed = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(resumed.stored == ["invoices": 150, "credit_notes": 2])
            #expect(fake.state.withLock { $0.listRequests.first }?.hasSuffix("starting_after=\(paidIDs[150])") == true)
            #expect(try await Self.deliveries(gateway.store).count == 252)
        }
    }

    @Test func aWrongKeyFromTheStartStoresNothing() async throws {
        let fake = FakeStripe()
        _ = try Self.account(fake)
        try await fake.application.test(.live) { fakeClient in
            let gateway = try TestGateway(now: { Self.now })
            let port = try #require(fakeClient.port)
            await #expect(throws: FetchFailure.self) { try await Self.backfill(gateway.store, port: port, key: "rk_test_wrong").run(since: Self.since) }
            #expect(try await Self.deliveries(gateway.store).isEmpty)
            #expect(fake.state.withLock { $0.listRequests.count } == 1)
        }
    }
}
