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

/// Stripe's refunds and disputes, each path a story on a live gateway whose Stripe client asks a
/// loopback fake of the API for the invoice a basil charge no longer names. Acme Accounting earns
/// 10 % of Bright Dental's payments, held 30 days; Bright Dental pays 499.00 on 1 June 2025.
@Suite struct StripeRefundStoryTests {
    static let charge = "ch_3RZq3IKx7aQ2mN0p0aBcDeF1"

    /// A gateway at `now`, with Acme's program, whose Stripe client talks to the fake on `port`.
    static func gateway(at now: Date, fakePort: Int) async throws -> TestGateway {
        let gateway = try TestGateway(
            fetchers: { _ in
                [
                    StripeClient(
                        credentials: .init(apiKey: Secret(FakeStripe.apiKey), apiBase: URL(string: "http://127.0.0.1:\(fakePort)")!),
                        client: HTTPClient.shared, retry: RetryPolicy(attempts: 3, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50)))
                ]
            }, now: { now })
        try await Stories.brightDental(gateway.program, at: now)
        return gateway
    }

    /// Runs `story` on a live gateway at `now` whose Stripe client talks to a live fake, with
    /// Bright Dental's June invoice delivered and processed first.
    static func story(
        at now: Date, fake: FakeStripe = FakeStripe(), _ story: @escaping @Sendable (TestGateway, any TestClientProtocol) async throws -> Void
    ) async throws -> TestGateway {
        try await fake.application.test(.live) { fakeClient in
            let gateway = try await Self.gateway(at: now, fakePort: try #require(fakeClient.port))
            try await gateway.application.test(.live) { client in
                try await Self.deliver(client, "invoice.paid.json", at: now)
                try await gateway.processor.drain()
                try await story(gateway, client)
            }
            return gateway
        }
    }

    /// A fixture with text replaced (another event id, amount or invoice), signed at `now`.
    static func deliver(
        _ client: some TestClientProtocol, _ fixture: String, replacing: [(String, String)] = [], at now: Date
    ) async throws {
        var text = String(decoding: try TestGateway.fixture("stripe/\(fixture)"), as: UTF8.self)
        for (old, new) in replacing { text = text.replacingOccurrences(of: old, with: new) }
        let body = Data(text.utf8)
        try await client.execute(
            uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body, at: now), body: ByteBuffer(bytes: body)
        ) { #expect($0.status == .ok) }
    }

    /// Bright Dental's invoice of 499.00 on another id and day (`in_b` on 1 July…).
    static func invoice(_ id: String, paidAt: Int) -> [(String, String)] {
        [("evt_1RZq3LKx7aQ2mN0pV1eT9bYc", "evt_\(id)"), ("in_1RZq3HKx7aQ2mN0pXf4sLk2Q", id), ("1748736004", String(paidAt))]
    }

    /// A refund that takes the charge's refunded total from `before` to `after` cents.
    static func refund(to after: Int, from before: Int = 0, event: String) -> [(String, String)] {
        [
            ("evt_3RZz0aKx7aQ2mN0p1RfNd001", event), (#""amount_refunded": 10000"#, #""amount_refunded": \#(after)"#),
            (#""amount_refunded": 0"#, #""amount_refunded": \#(before)"#),
        ]
    }

    /// The amounts of the lines still owed or paid (a voided line is owed nothing), oldest first.
    static func lines(_ gateway: TestGateway) async throws -> [Int64] {
        try await gateway.store.ledger.allAccruals().filter { $0.state != .voided }.sorted { $0.id.rawValue < $1.id.rawValue }
            .map(\.line.amount.minorUnits)
    }

    @Test func aDashboardRefundOfThirtyPercentDuringTheHoldLeavesSeventyPercentPending() async throws {
        let now = Events.date("2025-06-10")
        let fake = FakeStripe()
        let gateway = try await Self.story(at: now, fake: fake) { gateway, client in
            #expect(try await Self.lines(gateway) == [4_990])
            // 149.70 of the 499.00 back to the card: the basil charge names no invoice.
            try await Self.deliver(client, "charge.refunded.json", replacing: Self.refund(to: 14_970, event: "evt_refund_30"), at: now)
            try await gateway.processor.drain()
        }
        let all = try await gateway.store.inbox.deliveries(matching: DeliveryQuery(limit: 10))
        #expect(all.map(\.status) == [.processed, .processed], "\(all.map { $0.statusReason ?? "-" })")
        #expect(fake.state.withLock { $0.requests } == ["pi_3RZq3IKx7aQ2mN0p0GhIjKl2"])
        let accruals = try await gateway.store.ledger.allAccruals()
        #expect(accruals.map(\.line.amount.minorUnits) == [3_493])
        #expect(accruals.map { $0.status(at: now) } == [.pending])
    }

    @Test func aFullRefundAfterThePayoutIsClawedBackFromTheNextPayout() async throws {
        let now = Events.date("2025-09-01")
        let fake = FakeStripe()
        // The first ask for the invoice meets a Stripe outage; the client retries.
        fake.state.withLock { $0.failuresBeforeSuccess = 1 }
        let gateway = try await Self.story(at: now, fake: fake) { gateway, client in
            let first = try await gateway.program.createPayout(note: "June", at: now)
            _ = try await gateway.program.markPayoutPaid(first.id, at: now)
            try await Self.deliver(client, "charge.refunded.json", replacing: Self.refund(to: 49_900, event: "evt_refund_all"), at: now)
            try await Self.deliver(client, "invoice.paid.json", replacing: Self.invoice("in_b", paidAt: 1_751_328_004), at: now)
            try await Self.deliver(client, "invoice.paid.json", replacing: Self.invoice("in_c", paidAt: 1_754_006_404), at: now)
            try await gateway.processor.drain()
        }
        #expect(fake.state.withLock { $0.requests.count } == 2)
        // The paid line stays; a clawback of it is payable beside July's and August's lines.
        #expect(try await Self.lines(gateway) == [4_990, -4_990, 4_990, 4_990])
        let next = try await gateway.program.createPayout(note: "August", at: now)
        #expect(next.totals.map(\.amount.minorUnits) == [4_990])
    }

    @Test func aDisputeLostThenReinstatedEndsWhereItStarted() async throws {
        let now = Events.date("2025-06-12")
        let gateway = try await Self.story(at: now) { gateway, client in
            try await Self.deliver(client, "charge.dispute.funds_withdrawn.json", at: now)
            try await gateway.processor.drain()
            // While the chargeback stands, nothing is due on the payment: its line is voided.
            let withdrawn = try await Self.lines(gateway)
            #expect(withdrawn.isEmpty, "\(withdrawn)")
            try await Self.deliver(client, "charge.dispute.funds_reinstated.json", at: now)
            try await gateway.processor.drain()
        }
        #expect(try await Self.lines(gateway) == [4_990])
        let statuses = try await gateway.store.inbox.deliveries(matching: DeliveryQuery(limit: 10)).map(\.status)
        #expect(statuses.allSatisfy { $0 == .processed })
    }

    @Test func aCreditNoteAndTheChargeRefundItMadeCountOnce() async throws {
        let now = Events.date("2025-06-10")
        let gateway = try await Self.story(at: now) { gateway, client in
            // A credit note refunding 100.00 to the card, and the charge.refunded it causes.
            try await Self.deliver(client, "credit_note.created.json", at: now)
            try await Self.deliver(client, "charge.refunded.json", at: now)
            try await gateway.processor.drain()
        }
        #expect(try await Self.lines(gateway) == [3_990])
    }

    @Test func withoutAnAPIKeyABasilRefundFailsSayingWhatToSet() async throws {
        let now = Events.date("2025-06-10")
        let gateway = try TestGateway(now: { now })
        try await Stories.brightDental(gateway.program, at: now)
        try await gateway.application.test(.live) { client in
            try await Self.deliver(client, "invoice.paid.json", at: now)
            try await Self.deliver(client, "charge.refunded.json", at: now)
            try await gateway.processor.drain()
        }
        let failed = try await gateway.store.inbox.deliveries(matching: DeliveryQuery(statuses: [.failed], limit: 10))
        #expect(failed.map(\.statusReason) == ["no Stripe API client is configured; set GATEWAY_STRIPE_API_KEY"])
        // The payment's line is untouched until the refund can be tied to its invoice.
        #expect(try await Self.lines(gateway) == [4_990])
    }
}
