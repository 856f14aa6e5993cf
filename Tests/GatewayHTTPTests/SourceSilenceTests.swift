import Foundation
import GatewayCore
import GatewayEngine
import GatewayHTTP
import GatewayRepositories
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// A source that declared a cadence and went quiet: `source.silent` once per silence, the gauge,
/// the console's banner, and all of it cleared when the source sends again.
@Suite struct SourceSilenceTests {
    @Test func aQuietSourceRaisesOneAlertWithAGaugeAndABannerUntilItSendsAgain() async throws {
        let clock = ManualClock(start: Events.date("2026-03-02T09:00:00Z"))
        let gateway = try TestGateway(now: { clock.now })
        let metrics = GatewayMetrics()
        let recorder = RecordingLogHandler()
        let monitor = SourceSilenceMonitor(
            store: gateway.store, configuration: SourceSilenceMonitor.Configuration(silentAfter: ["stripe": 3_600]), now: { clock.now },
            observer: metrics, logger: Logger(label: "test", factory: { _ in recorder }))
        let endpoint = try await WebhookEndpointService(store: gateway.store).add(
            WebhookEndpointInput(url: "https://ops.example/hooks", events: ["source.silent"]), at: clock.now)
        let invoice = try TestGateway.fixture("stripe/invoice.paid.json")

        let store = gateway.store
        @Sendable func silentEvents() async throws -> [StoredOutboundEvent] {
            try await store.outbox.events(type: .sourceSilent, beforeSequence: nil, limit: 10)
        }

        try await gateway.application(services: [], metrics: metrics).test(.router) { client in
            let cookie = try await ConsoleRouteTests.signIn(client)
            func metricsText() async throws -> String {
                try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            }
            func banner() async throws -> Bool {
                try await OutboundConsoleTests.page(client, "/console", cookie: cookie).contains("Source stripe has sent nothing")
            }

            // Watching starts now; an hour of quiet is allowed.
            try await monitor.check()
            clock.advance(by: 3_600)
            try await monitor.check()
            #expect(try await silentEvents().isEmpty)
            #expect(try await metricsText().contains(#"gateway_source_silent{source="stripe"} 0"#))
            #expect(!(try await banner()))

            // A second more: silent. One alert, however often it is checked.
            clock.advance(by: 1)
            try await monitor.check()
            clock.advance(by: 600)
            try await monitor.check()
            let raised = try await silentEvents()
            #expect(raised.count == 1)
            let payload = try #require(raised.first).event.payload
            let body = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
            let silence = try #require((body["data"] as? [String: Any])?["silence"] as? [String: Any])
            #expect(silence["source"] as? String == "stripe" && silence["silent_after_seconds"] as? Int == 3_600 && silence["last_delivery_at"] == nil)
            #expect(try await gateway.store.outbox.messages(matching: OutboundMessageQuery(endpoint: endpoint.endpoint.id)).map(\.eventType) == [.sourceSilent])
            #expect(try await metricsText().contains(#"gateway_source_silent{source="stripe"} 1"#))
            #expect(try await banner())
            #expect(recorder.text.contains("source is silent"))

            // Stripe sends again: the alert clears at the next check.
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(invoice, at: clock.now), body: ByteBuffer(bytes: invoice)
            ) { #expect($0.status == .ok) }
            clock.advance(by: 30)
            try await monitor.check()
            #expect(try await gateway.store.outbox.silences().isEmpty)
            #expect(try await metricsText().contains(#"gateway_source_silent{source="stripe"} 0"#))
            #expect(!(try await banner()))
            #expect(try await gateway.program.auditLog().contains { $0.action == "source.resumed" && $0.subject == "source:stripe" })

            // Quiet again for too long: a new silence, a new event naming the last delivery.
            clock.advance(by: 3_601)
            try await monitor.check()
            let again = try await silentEvents()
            #expect(again.count == 2)
            #expect(try await gateway.store.outbox.silences().first?.lastDeliveryAt == clock.now.addingTimeInterval(-3_631))
        }

        // A source no longer watched keeps no alert.
        let unwatched = SourceSilenceMonitor(
            store: gateway.store, configuration: SourceSilenceMonitor.Configuration(silentAfter: [:]), now: { clock.now },
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await unwatched.check()
        #expect(try await gateway.store.outbox.silences().isEmpty)
    }
}
