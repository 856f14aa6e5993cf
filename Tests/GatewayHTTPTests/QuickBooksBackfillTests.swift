import AsyncHTTPClient
import Foundation
import GatewayAdapters
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// The QuickBooks backfill against a loopback fake of the Accounting API's `query`: paging by
/// `STARTPOSITION` from the last time read (ties across a page boundary included), what each
/// stored notification carries, a second run, the overlap with a webhook, and the API's refusals.
@Suite struct QuickBooksBackfillTests {
    static let now = Events.date("2026-12-05")
    static let since = Events.date("2024-12-01")
    static let realm = QuickBooksFetchTests.realm
    /// QuickBooks writes times in the company's offset.
    static let pacific = Date.ISO8601FormatStyle(timeZoneSeparator: .colon, timeZone: TimeZone(secondsFromGMT: -8 * 3600)!)

    /// Payment `id` of 100.00 on invoice `invoice`, by customer `customer`, last updated at `updated`.
    static func payment(_ id: Int, invoice: Int, customer: String, updated: Date) throws -> JSONValue {
        let time = updated.formatted(pacific)
        return try JSONValue.parse(
            Data(
                """
                {"Id":"\(id)","SyncToken":"0","domain":"QBO","sparse":false,"TxnDate":"\(updated.formatted(.iso8601.year().month().day()))",
                "TotalAmt":100.00,"UnappliedAmt":0,"ProcessPayment":false,"CurrencyRef":{"value":"USD","name":"United States Dollar"},
                "CustomerRef":{"value":"\(customer)"},"DepositToAccountRef":{"value":"4"},
                "Line":[{"Amount":100.00,"LinkedTxn":[{"TxnId":"\(invoice)","TxnType":"Invoice"}]}],
                "MetaData":{"CreateTime":"\(time)","LastUpdatedTime":"\(time)"}}
                """.utf8))
    }

    static func customer(_ id: String, name: String, domain: String) throws -> JSONValue {
        try JSONValue.parse(
            Data(
                """
                {"Customer":{"Id":"\(id)","SyncToken":"0","domain":"QBO","DisplayName":"\(name)","PrimaryEmailAddr":{"Address":"ap@\(domain)"},
                "WebAddr":{"URI":"https://www.\(domain)"},"Active":true,"MetaData":{"CreateTime":"2024-01-10T10:00:00-08:00","LastUpdatedTime":"2024-01-10T10:00:00-08:00"}},
                "time":"2026-12-05T00:00:00.000-08:00"}
                """.utf8))
    }

    /// 250 payments, one a day from 1 December 2024 (ids 1000…1249), by three customers, the ten
    /// from day 95 updated in the same second (a batch import), so a page boundary falls inside
    /// them; one payment updated the day before; three invoices, a credit memo and a refund receipt.
    static func company(_ fake: FakeQuickBooks) throws {
        var payments: [JSONValue] = []
        let batch = since.addingTimeInterval(95 * 86_400 + 36_000)
        for day in 0..<250 {
            let updated = (95..<105).contains(day) ? batch : since.addingTimeInterval(Double(day) * 86_400 + 36_000)
            payments.append(try payment(1000 + day, invoice: 5000 + day, customer: ["58", "59", "60"][day % 3], updated: updated))
        }
        payments.append(try payment(999, invoice: 4999, customer: "58", updated: since.addingTimeInterval(-3_600)))
        let invoices = try (0..<3).map { index in
            try JSONValue.parse(
                Data(
                    #"{"Id":"\#(5000 + index)","DocNumber":"\#(1000 + index)","TxnDate":"2024-12-01","TotalAmt":100.00,"Balance":0,"CustomerRef":{"value":"58"},"MetaData":{"CreateTime":"2024-12-01T02:00:00-08:00","LastUpdatedTime":"2024-12-0\#(2 + index)T02:00:00-08:00"}}"#
                        .utf8))
        }
        let credit = try JSONValue.parse(
            Data(
                #"{"Id":"301","TxnDate":"2025-06-21","TotalAmt":100.0,"CurrencyRef":{"value":"USD"},"CustomerRef":{"value":"58","name":"Bright Dental PC"},"Line":[{"Id":"1","Amount":100.0,"DetailType":"SalesItemLineDetail"}],"MetaData":{"CreateTime":"2025-06-21T02:00:00-07:00","LastUpdatedTime":"2025-06-21T02:00:00-07:00"}}"#
                    .utf8))
        let refund = try JSONValue.parse(
            Data(
                #"{"Id":"402","TxnDate":"2025-07-02","TotalAmt":25.0,"CurrencyRef":{"value":"USD"},"CustomerRef":{"value":"59"},"MetaData":{"CreateTime":"2025-07-02T02:00:00-07:00","LastUpdatedTime":"2025-07-03T02:00:00-07:00"}}"#
                    .utf8))
        let customers = ["59": try customer("59", name: "Harbor Vets", domain: "harborvets.example"), "60": try customer("60", name: "Summit Legal", domain: "summitlegal.example")]
        fake.state.withLock {
            $0.records = ["Payment": payments, "Invoice": invoices, "CreditMemo": [credit], "RefundReceipt": [refund]]
            $0.customers = customers
        }
    }

    static func backfill(_ store: any Repositories, port: Int) -> QuickBooksBackfill {
        QuickBooksBackfill(
            client: QuickBooksFetchTests.client(port: port, store: store), store: store,
            retry: RetryPolicy(attempts: 3, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50), rateLimitWaits: 10), pageSize: 100,
            now: { now })
    }

    static func deliveries(_ store: any Repositories) async throws -> [StoredDelivery] {
        try await store.inbox.deliveries(matching: DeliveryQuery(limit: 1_000))
    }

    static let firstQuery = "SELECT * FROM Payment WHERE MetaData.LastUpdatedTime >= '2024-12-01T00:00:00+00:00' ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 100"
    /// The second page: from the batch's time, after the five of the batch the first page held.
    static var secondQuery: String {
        "SELECT * FROM Payment WHERE MetaData.LastUpdatedTime >= '\(since.addingTimeInterval(95 * 86_400 + 36_000).formatted(pacific))' ORDERBY MetaData.LastUpdatedTime STARTPOSITION 6 MAXRESULTS 100"
    }

    @Test func pagesThroughEachEntityStoringEachRecordOnceWithWhatWasFetchedAndProcessingFetchesNothingAgain() async throws {
        let fake = FakeQuickBooks()
        try Self.company(fake)
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try QuickBooksFetchTests.gateway(port: port)
            let reports = Mutex<[BackfillProgress]>([])
            let summary = try await Self.backfill(gateway.store, port: port).run(since: Self.since) { progress in
                reports.withLock { $0.append(progress) }
            }
            #expect(summary.fetched == ["Payment": 250, "Invoice": 3, "CreditMemo": 1, "RefundReceipt": 1])
            #expect(summary.stored == summary.fetched)

            let queries = fake.state.withLock { $0.queries }
            #expect(queries.count == 6)
            #expect(queries[0] == Self.firstQuery)
            #expect(queries[1] == Self.secondQuery)
            #expect(queries[3].hasPrefix("SELECT * FROM Invoice WHERE") && queries[5].hasPrefix("SELECT * FROM RefundReceipt WHERE"))
            // Each customer once, whatever number of records name it; none for invoices.
            #expect(fake.state.withLock { $0.entityRequests }.sorted() == ["customer/58", "customer/59", "customer/60"])
            let progress = reports.withLock { $0 }
            #expect(progress.map(\.fetched) == [100, 200, 250, 3, 1, 1])
            let fractions = progress.prefix(2).compactMap(\.fractionDone)
            #expect(fractions.count == 2 && fractions[0] > 0 && fractions[0] < fractions[1] && fractions[1] < 1)
            #expect(progress[2].fractionDone == 1)

            let stored = try await Self.deliveries(gateway.store)
            #expect(stored.count == 255)
            #expect(stored.allSatisfy { $0.source == "quickbooks" && $0.verification.scheme == "backfill:quickbooks-api" })
            let delivery = try #require(stored.first { $0.vendorDeliveryID == "backfill:Payment:1004" })
            #expect(delivery.eventType == "Payment.Create")
            let body = try JSONValue.parse(delivery.body)
            #expect(body.value(at: FieldPath("eventNotifications.0.realmId")) == .string(Self.realm))
            #expect(body.value(at: FieldPath("eventNotifications.0.dataChangeEvent.entities.0.name")) == .string("Payment"))
            #expect(body.value(at: FieldPath("eventNotifications.0.dataChangeEvent.entities.0.id")) == .string("1004"))
            let record = try #require(fake.state.withLock { $0.records["Payment"]?.first { $0.value(at: FieldPath("Id")) == .string("1004") } })
            #expect(body.value(at: FieldPath("fetched.0.entity.Payment")) == record)
            #expect(body.value(at: FieldPath("fetched.0.customer.Customer.Id")) == .string("59"))
            #expect(stored.contains { $0.vendorDeliveryID == "backfill:RefundReceipt:402" && $0.eventType == "RefundReceipt.Update" })
            #expect(!stored.contains { $0.vendorDeliveryID == "backfill:Payment:999" })

            // A second run reads everything again and stores nothing.
            let again = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(again.totalStored == 0 && again.totalFetched == 255)

            // Processed by the QuickBooks connector with what the backfill fetched: no fetch now.
            let requestsBefore = fake.state.withLock { $0.entityRequests.count }
            try await gateway.processor.drain()
            #expect(fake.state.withLock { $0.entityRequests.count } == requestsBefore)
            #expect(try await gateway.store.inbox.deliveries(status: .processed, limit: 1_000).count == 252)
            // Invoices are kept; the connector maps no invoice update (payments say what was paid).
            #expect(try await gateway.store.inbox.deliveries(status: .ignored, limit: 1_000).map(\.vendorDeliveryID).sorted() == [
                "backfill:Invoice:5000", "backfill:Invoice:5001", "backfill:Invoice:5002",
            ])
            let events = try await gateway.store.inbox.businessEvents(of: delivery.id).map(\.event)
            #expect(events.map(\.businessKey) == ["quickbooks:\(Self.realm):invoice:5004:payment:1004:paid"])
            #expect(events.first?.customer == CustomerReference(source: "quickbooks", id: "59", email: "ap@harborvets.example", domain: "harborvets.example", name: "Harbor Vets"))
        }
    }

    @Test func aPaymentAWebhookAlreadyBroughtAccruesOnce() async throws {
        let fake = FakeQuickBooks()
        guard case .object(let response) = try JSONValue.parse(TestGateway.fixture("quickbooks/api/payment.217.json")), let payment = response["Payment"] else {
            Issue.record("payment.217.json holds a Payment")
            return
        }
        fake.state.withLock { $0.records = ["Payment": [payment]] }
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try QuickBooksFetchTests.gateway(port: port)
            let story = try await Stories.brightDental(gateway.program, at: Self.now)
            _ = try await gateway.application.test(.live) { client in try await QuickBooksFetchTests.notify(client) }
            try await gateway.processor.drain()
            let before = try await gateway.store.ledger.accruals(partner: story.partner.id).map(\.line.amount)
            #expect(before == [Events.usd(49.90), Events.usd(24.95)])

            // Another client on the same store: it takes the refresh token the processor's rotated.
            let summary = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(summary.stored["Payment"] == 1)
            try await gateway.processor.drain()
            #expect(try await gateway.store.ledger.accruals(partner: story.partner.id).map(\.line.amount) == before)
            let backfilled = try #require(try await Self.deliveries(gateway.store).first { $0.vendorDeliveryID == "backfill:Payment:217" })
            #expect(backfilled.status == .processed)
            let recorded = try await gateway.store.inbox.businessEvents(of: backfilled.id)
            #expect(recorded.count == 2)
            #expect(recorded.allSatisfy { $0.explanation.hasPrefix("the same business effect as delivery") }, "\(recorded.map(\.explanation))")
            #expect(fake.state.withLock { $0.refreshes } == 1)
        }
    }

    @Test func aRateLimitIsWaitedOutForItsRetryAfterAndAnOutageRetried() async throws {
        let fake = FakeQuickBooks()
        try Self.company(fake)
        fake.state.withLock { $0.queryFailures = [.rateLimited(retryAfter: 1), .unavailable, .unavailable] }
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try QuickBooksFetchTests.gateway(port: port)
            let started = ContinuousClock.now
            let summary = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(ContinuousClock.now - started >= .seconds(1))
            #expect(summary.totalStored == 255)
            // 6 queries, the first asked 3 more times.
            #expect(fake.state.withLock { $0.queries.count } == 9)
        }
    }

    @Test func anOutageThatOutlastsTheRetriesStopsTheRunSayingSo() async throws {
        let fake = FakeQuickBooks()
        try Self.company(fake)
        fake.state.withLock { $0.queryFailures = [.unavailable, .unavailable, .unavailable] }
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try QuickBooksFetchTests.gateway(port: port)
            let failure = await #expect(throws: FetchFailure.self) { try await Self.backfill(gateway.store, port: port).run(since: Self.since) }
            #expect(failure?.reason == "QuickBooks could not serve the Payment query: HTTP 503 (gave up after 3 attempts)")
            #expect(try await Self.deliveries(gateway.store).isEmpty)
        }
    }

    @Test func aDisconnectedAppStopsTheRunWithTheReasonAndTheNextRunResumesAfterTheLastStoredPage() async throws {
        let fake = FakeQuickBooks()
        try Self.company(fake)
        fake.state.withLock { $0.unauthorizedAfterQueries = 1 }
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try QuickBooksFetchTests.gateway(port: port)
            let failure = await #expect(throws: FetchFailure.self) { try await Self.backfill(gateway.store, port: port).run(since: Self.since) }
            #expect(
                failure?.reason == "QuickBooks refused the credentials for the Payment query: HTTP 401; reconnect the app and set GATEWAY_QUICKBOOKS_REFRESH_TOKEN")
            #expect(failure?.transient == false)
            // The first page stayed stored; the 401 was worth one token refresh, not a retry after it.
            #expect(try await Self.deliveries(gateway.store).count == 100)
            #expect(fake.state.withLock { $0.queries } == [Self.firstQuery, Self.secondQuery, Self.secondQuery])
            #expect(fake.state.withLock { $0.refreshes } == 2)

            fake.state.withLock {
                $0.unauthorizedAfterQueries = nil
                $0.queries = []
            }
            let resumed = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(resumed.stored == ["Payment": 150, "Invoice": 3, "CreditMemo": 1, "RefundReceipt": 1])
            #expect(resumed.fetched["Payment"] == 150)
            #expect(fake.state.withLock { $0.queries.first } == Self.secondQuery)
            #expect(try await Self.deliveries(gateway.store).count == 255)
        }
    }
}
