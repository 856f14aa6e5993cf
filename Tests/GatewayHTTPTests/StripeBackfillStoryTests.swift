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

/// The program imported from a spreadsheet, then two years of a Stripe account brought in by a
/// backfill, against the same invoices sent as webhooks. Twenty clients pay monthly from their first month (December 2024 to November 2026)
/// to November 2026; five were referred (clients 9, 12, 15, 18 and 20) on a plan paying 10 % of
/// collected payments; two credit notes go back to clients 9 and 12.
@Suite struct StripeBackfillStoryTests {
    static let now = Events.date("2026-12-05")
    static let since = Events.date("2024-12-01")
    static let referred = [9, 12, 15, 18, 20]

    /// Each client's first month, 0 being December 2024.
    static func firstMonth(_ client: Int) -> Int {
        [9: 4, 10: 6, 11: 8, 12: 10, 13: 13, 14: 17, 15: 21, 16: 22, 17: 23, 18: 22, 19: 2, 20: 1][client] ?? 0
    }

    /// Client `n` pays 100.00 + n × 10.00 a month.
    static func cents(_ client: Int) -> Int { 10_000 + client * 1_000 }

    static func month(_ index: Int) -> Date { Calendar.reports.date(byAdding: .month, value: index, to: since)! }

    /// Every event of the two years, as Stripe would send them: the invoices, then the credit notes.
    static func history() throws -> [String] {
        var events: [String] = []
        for client in 1...20 {
            for index in firstMonth(client)..<24 {
                let paidAt = month(index).addingTimeInterval(2 * 86_400 + 36_000)
                events.append(try StripeHistory.invoicePaid(invoice(client, index), client: client, cents: cents(client), paidAt: paidAt))
            }
        }
        for (id, client, index, cents) in [("cn_c09", 9, 5, 3_000), ("cn_c12", 12, 12, 1_500)] {
            let at = month(index).addingTimeInterval(7 * 86_400)
            events.append(try StripeHistory.creditNote(id, invoice: invoice(client, index), client: client, cents: cents, at: at))
        }
        return events
    }

    static func invoice(_ client: Int, _ month: Int) -> String { "in_c\(client)_m\(month)" }

    /// The program as the admin brings it in from the spreadsheet: three partners and the five
    /// referrals, introduced 20 days before each referred client's first payment, on the one plan.
    /// The same in every store, so ids match.
    static func program(_ gateway: TestGateway, aBadDateFirst: Bool = false) async throws {
        _ = try await gateway.program.addPlan(
            PlanInput(name: "10% of collected", terms: PlanTerms(rules: [.recurringShare(rate: BasisPoints(1000), months: nil)], holdDays: PlanTerms.defaultHoldDays)),
            at: now)
        let imports = ImportService(store: gateway.store)
        let partners = """
            name,kind,email
            Acme Accounting,center_of_influence,ap@acme-cpa.example
            Happy Client Co,client,
            Harbor Law,center_of_influence,office@harborlaw.example

            """
        #expect(try await imports.run(.partners, Data(partners.utf8), dryRun: false, at: now).created == 3)
        var referrals = "partner,prospect,domains,introduced_on,plan\n"
        for (index, client) in referred.enumerated() {
            let introduced = month(firstMonth(client)).addingTimeInterval(-20 * 86_400)
            referrals += "\(index.isMultiple(of: 2) ? "Acme Accounting" : "Happy Client Co"),Client \(client),\(StripeHistory.domain(client)),"
                + "\(introduced.formatted(.iso8601.year().month().day())),10% of collected\n"
        }
        if aBadDateFirst {
            // One bad date refuses the whole file: nothing is written until it is fixed.
            let bad = referrals.replacingOccurrences(of: month(firstMonth(15)).addingTimeInterval(-20 * 86_400).formatted(.iso8601.year().month().day()), with: "2026-02-30")
            let refused = try await imports.run(.referrals, Data(bad.utf8), dryRun: false, at: now)
            #expect(refused.refused.map(\.line) == [4] && refused.refused.first?.column == "introduced_on")
            #expect(try await gateway.program.referrals(at: now).isEmpty)
        }
        #expect(try await imports.run(.referrals, Data(referrals.utf8), dryRun: false, at: now).created == 5)
    }

    /// The ledger's lines without the delivery that carried each event (ids differ between
    /// stores), in a stable order.
    static func ledger(_ store: any Repositories) async throws -> [String] {
        try await store.ledger.allAccruals().map { accrual in
            var line = accrual.line
            line.sourceDelivery = nil
            return "\(line) \(accrual.state)"
        }.sorted()
    }

    static func liveTotal(_ store: any Repositories) async throws -> Int64 {
        try await store.ledger.allAccruals().filter { $0.state != .voided }.reduce(0) { $0 + $1.line.amount.minorUnits }
    }

    static func deliver(_ events: [String], to gateway: TestGateway) async throws {
        try await gateway.application.test(.router) { client in
            for event in events {
                let body = Data(event.utf8)
                try await client.execute(
                    uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body, at: now), body: ByteBuffer(bytes: body)
                ) { #expect($0.status == .ok) }
            }
        }
        _ = try await gateway.processor.drain()
    }

    @Test func aBackfillOfTwoYearsGivesTheLedgerTheWebhooksGiveAndASecondRunAddsNothing() async throws {
        let history = try Self.history()
        #expect(history.count == 333)

        // The same invoices and credit notes, sent as webhooks.
        let webhooked = try TestGateway(now: { Self.now })
        try await Self.program(webhooked)
        try await Self.deliver(history, to: webhooked)

        let fake = FakeStripe()
        let objects = try history.map(StripeHistory.object(of:))
        fake.state.withLock { state in
            state.invoices = objects.filter { $0.value(at: FieldPath("object")) == .string("invoice") }
            state.creditNotes = objects.filter { $0.value(at: FieldPath("object")) == .string("credit_note") }
        }
        try await fake.application.test(.live) { fakeClient in
            let backfilled = try TestGateway(now: { Self.now })
            try await Self.program(backfilled, aBadDateFirst: true)
            let port = try #require(fakeClient.port)
            let backfill = StripeBackfill(
                credentials: .init(apiKey: Secret(FakeStripe.apiKey), apiBase: URL(string: "http://127.0.0.1:\(port)")!),
                client: HTTPClient.shared, store: backfilled.store, now: { Self.now })
            let first = try await backfill.run(since: Self.since)
            #expect(first.stored == ["invoices": 331, "credit_notes": 2])
            _ = try await backfilled.processor.drain()
            let statuses = try await backfilled.store.inbox.deliveries(matching: DeliveryQuery(limit: 1_000)).map(\.status)
            #expect(statuses.count == 333 && statuses.allSatisfy { $0 == .processed })

            // Line for line what the webhooks produced: 10 % of every referred payment, less 10 %
            // of the two credits. Referred payments: client 9 190.00 × 20, 12 220.00 × 14,
            // 15 250.00 × 3, 18 280.00 × 2, 20 300.00 × 23 = 15,090.00; less 45.00 of credits.
            let lines = try await Self.ledger(backfilled.store)
            #expect(lines == (try await Self.ledger(webhooked.store)))
            #expect(try await Self.liveTotal(backfilled.store) == 150_450)

            // A second run stores nothing, and nothing changes.
            let second = try await backfill.run(since: Self.since)
            #expect(second.totalStored == 0)
            _ = try await backfilled.processor.drain()
            #expect(try await Self.ledger(backfilled.store) == lines)

            // Live webhooks for the backfilled last month (other delivery ids, the same invoices)
            // accrue nothing twice.
            let lastMonth = history.filter { $0.contains("_m23\"") }
            #expect(lastMonth.count == 20)
            try await Self.deliver(lastMonth, to: backfilled)
            #expect(try await Self.liveTotal(backfilled.store) == 150_450)

            try await Self.metrics(backfilled)
        }
    }

    /// New clients with a go-live date, over the backfilled history.
    static func metrics(_ gateway: TestGateway) async throws {
        let reports = ReportService(store: gateway.store)
        let lastQuarter = ReportPeriod(start: Events.date("2026-09-01"), end: Events.date("2026-12-01"))
        let firstQuarter = ReportPeriod(start: Events.date("2024-12-01"), end: Events.date("2025-03-01"))

        // Go-live one billing cycle after the backfill's start: the eight clients already paying
        // in December 2024 are existing; everyone won later is new in the period it was won.
        _ = try await gateway.program.updateSettings(SettingsInput(goLive: "2025-01-01"), at: now)
        var metrics = try await reports.programMetrics(period: lastQuarter, at: now)
        // Clients 15 (September, referred, 250.00), 16 (October, 260.00), 18 (October, referred,
        // 280.00) and 17 (November, 270.00).
        #expect(metrics.newClients == 4)
        #expect(metrics.referredNewClients == 2)
        #expect(metrics.newMRR.first?.total.minorUnits == 106_000)
        #expect(metrics.newMRR.first?.referralSourced.minorUnits == 53_000)
        #expect(metrics.newMRR.first?.sharePercent == 50)
        metrics = try await reports.programMetrics(period: firstQuarter, at: now)
        // Clients 20 (January, referred) and 19 (February); not the eight of December.
        #expect(metrics.newClients == 2)
        #expect(metrics.referredNewClients == 1)

        // Gone live on 1 October 2026: client 15, won in September, is an existing client.
        _ = try await gateway.program.updateSettings(SettingsInput(goLive: "2026-10-01"), at: now)
        metrics = try await reports.programMetrics(period: lastQuarter, at: now)
        #expect(metrics.newClients == 3)
        #expect(metrics.referredNewClients == 1)
        #expect(metrics.newMRR.first?.total.minorUnits == 81_000)
        #expect(metrics.newMRR.first?.referralSourced.minorUnits == 28_000)

        // Without a go-live date, December 2024's ten clients are all new.
        _ = try await gateway.program.updateSettings(SettingsInput(goLive: "none"), at: now)
        #expect(try await reports.programMetrics(period: firstQuarter, at: now).newClients == 10)
    }
}
