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
import Logging
import Testing

/// The dispatcher against loopback receivers that verify every message as a Standard Webhooks
/// library would: retries on the schedule (the clock moved by hand), a receiver that is down, an
/// endpoint's order, secret rotation, resends, and the running service woken by the outbox.
@Suite struct OutboundDispatchTests {
    static let start = Events.date("2025-06-02T09:00:00Z")

    /// A gateway on a hand-moved clock, a partner and a plan, and a dispatcher on the same clock.
    struct Setup {
        let clock: ManualClock
        let gateway: TestGateway
        let webhooks: WebhookEndpointService
        let partner: Partner
        let plan: CommissionPlan

        init(
            retryDelays: [TimeInterval] = OutboundDispatcher.Configuration.defaultRetryDelays, disableAfter: TimeInterval = 5 * 86_400,
            requestTimeout: Duration = .seconds(15), logger: Logger? = nil
        ) async throws {
            let clock = ManualClock(start: OutboundDispatchTests.start)
            self.clock = clock
            gateway = try TestGateway(now: { clock.now }, logger: logger ?? Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            webhooks = WebhookEndpointService(store: gateway.store)
            partner = try await gateway.program.addPartner(PartnerInput(name: "Acme Accounting", kind: "center_of_influence"), at: clock.now)
            plan = try await gateway.program.addPlan(
                PlanInput(name: "10% of collected", terms: PlanTerms(rules: [.recurringShare(rate: BasisPoints(1000), months: nil)])), at: clock.now)
            self.retryDelays = retryDelays
            self.disableAfter = disableAfter
            self.requestTimeout = requestTimeout
            self.logger = logger ?? gateway.logger
        }

        let retryDelays: [TimeInterval]
        let disableAfter: TimeInterval
        let requestTimeout: Duration
        let logger: Logger

        var dispatcher: OutboundDispatcher {
            let clock = clock
            return OutboundDispatcher(
                store: gateway.store, client: HTTPClient.shared,
                configuration: OutboundDispatcher.Configuration(retryDelays: retryDelays, disableAfter: disableAfter, requestTimeout: requestTimeout),
                now: { clock.now },
                logger: logger)
        }

        /// A partner's portal submission: one `referral.submitted`.
        @discardableResult
        func submit(_ name: String) async throws -> ReferralSubmission {
            let domain = name.lowercased().replacingOccurrences(of: " ", with: "") + ".example"
            return try await PortalService(store: gateway.store).submit(
                SubmissionInput(prospectName: name, domain: domain, contactName: "Pat", contactEmail: "pat@\(domain)"), by: partner.id, at: clock.now)
        }

        func messages(_ endpoint: WebhookEndpointID) async throws -> [OutboundMessage] {
            try await gateway.store.outbox.messages(matching: OutboundMessageQuery(endpoint: endpoint)).reversed()
        }
    }

    static func url(_ port: Int) -> String { "http://127.0.0.1:\(port)/hooks" }

    @Test func aReceiverAnswering500TwiceGetsTheMessageOnTheThirdAttemptSignedEachTime() async throws {
        let setup = try await Setup()
        let receiver = WebhookReceiver(now: { setup.clock.now })
        receiver.answer([500, 500])
        try await receiver.application.test(.live) { client in
            let endpoint = try await setup.webhooks.add(WebhookEndpointInput(url: Self.url(try #require(client.port))), at: setup.clock.now)
            receiver.verify(with: [endpoint.secret])
            try await setup.submit("Cedar Dental")
            let dispatcher = setup.dispatcher

            #expect(try await dispatcher.dispatchDue() == 1)
            var message = try #require(try await setup.messages(endpoint.endpoint.id).first)
            #expect(message.status == .retrying && message.attempts == 1 && message.lastStatusCode == 500 && message.lastError == "HTTP 500")
            #expect(message.nextAttemptAt == Self.start.addingTimeInterval(5))
            // Nothing is due before its time.
            setup.clock.advance(by: 4)
            #expect(try await dispatcher.dispatchDue() == 0)
            setup.clock.advance(by: 1)
            #expect(try await dispatcher.dispatchDue() == 1)
            message = try #require(try await setup.messages(endpoint.endpoint.id).first)
            #expect(message.status == .retrying && message.attempts == 2 && message.nextAttemptAt == Self.start.addingTimeInterval(5 + 300))
            setup.clock.advance(by: 300)
            #expect(try await dispatcher.dispatchDue() == 1)
            message = try #require(try await setup.messages(endpoint.endpoint.id).first)
            #expect(message.status == .delivered && message.attempts == 3 && message.lastStatusCode == 200 && message.lastError == nil)
            #expect(message.deliveredAt == Self.start.addingTimeInterval(305))
            #expect(try await dispatcher.dispatchDue() == 0)
        }
        let received = receiver.received
        #expect(received.map(\.answered) == [500, 500, 200])
        #expect(received.allSatisfy { $0.verified })
        // The same id on every attempt, a fresh timestamp, the stored body byte for byte.
        let event = try #require(try await setup.gateway.store.outbox.events(type: .referralSubmitted, beforeSequence: nil, limit: 1).first)
        #expect(received.allSatisfy { $0.id == event.event.id && $0.body == event.event.payload && $0.contentType == "application/json" })
        #expect(received.compactMap(\.timestamp) == [0, 5, 305].map { String(Int64(Self.start.timeIntervalSince1970) + $0) })
        #expect(received.first?.type == "referral.submitted")
        // A body altered on the way, or another secret, does not verify.
        let first = try #require(received.first)
        #expect(!WebhookReceiver.verifies(
            id: first.id, timestamp: first.timestamp, signatures: first.signatureHeader, body: first.body + Data(" ".utf8),
            secret: try #require(receiver.secrets.first), now: Self.start))
        #expect(!WebhookReceiver.verifies(
            id: first.id, timestamp: first.timestamp, signatures: first.signatureHeader, body: first.body,
            secret: "whsec_" + Data(repeating: 7, count: 24).base64EncodedString(), now: Self.start))
        // The gateway's own Standard Webhooks scheme, as a receiver of the gateway's would use it, agrees.
        let headers = HeaderValues([
            ("webhook-id", try #require(first.id)), ("webhook-timestamp", try #require(first.timestamp)),
            ("webhook-signature", try #require(first.signatureHeader)),
        ])
        #expect(throws: Never.self) {
            try StandardWebhooksSignatureScheme().verify(
                body: first.body, headers: headers, secrets: [Secret(receiver.secrets[0])], now: Self.start)
        }
    }

    @Test func aReceiverThatIsDownIsRetriedOnTheScheduleUntilTheEndpointIsDisabledWithAnAlert() async throws {
        let recorder = RecordingLogHandler()
        // Nothing listens on port 1: every attempt is refused (the client keeps trying until the
        // attempt's time is up, kept short here).
        let setup = try await Setup(
            retryDelays: [5, 60], disableAfter: 100, requestTimeout: .milliseconds(300), logger: Logger(label: "test", factory: { _ in recorder }))
        let endpoint = try await setup.webhooks.add(WebhookEndpointInput(url: "http://127.0.0.1:1/hooks"), at: setup.clock.now)
        try await setup.submit("Cedar Dental")
        try await setup.submit("Dune Dental")
        let dispatcher = setup.dispatcher

        #expect(try await dispatcher.dispatchDue() == 1)
        setup.clock.advance(by: 5)
        #expect(try await dispatcher.dispatchDue() == 1)
        var messages = try await setup.messages(endpoint.endpoint.id)
        #expect(messages.map(\.status) == [.retrying, .pending])
        #expect(messages[0].lastStatusCode == nil && messages[0].lastError?.isEmpty == false)
        // Its last attempt fails: dead. Only then is the endpoint's next message tried.
        setup.clock.advance(by: 60)
        #expect(try await dispatcher.dispatchDue() == 2)
        messages = try await setup.messages(endpoint.endpoint.id)
        #expect(messages.map(\.status) == [.dead, .retrying] && messages.map(\.attempts) == [3, 1])
        #expect(try await setup.gateway.store.webhookEndpoints.endpoint(endpoint.endpoint.id)?.disabledAt == nil)
        setup.clock.advance(by: 5)
        #expect(try await dispatcher.dispatchDue() == 1)
        // 130 s after the first failure, past the 100 s allowed: disabled, and the admin is told.
        setup.clock.advance(by: 60)
        #expect(try await dispatcher.dispatchDue() == 1)
        let disabled = try #require(try await setup.gateway.store.webhookEndpoints.endpoint(endpoint.endpoint.id))
        #expect(disabled.disabledAt == Self.start.addingTimeInterval(130))
        #expect(disabled.failingSince == Self.start)
        #expect(disabled.disabledReason?.hasPrefix("every attempt has failed since 2025-06-02T09:00:00Z") == true)
        #expect(recorder.text.contains("webhook endpoint disabled"))
        #expect(!recorder.text.contains(endpoint.secret))

        // A disabled endpoint's new messages wait; enabling it sends them.
        try await setup.submit("Elm Dental")
        setup.clock.advance(by: 3_600)
        #expect(try await dispatcher.dispatchDue() == 0)
        #expect(try await setup.messages(endpoint.endpoint.id).map(\.status) == [.dead, .dead, .pending])
        _ = try await setup.webhooks.enable(endpoint.endpoint.id, at: setup.clock.now)
        #expect(try await dispatcher.dispatchDue() == 1)
        #expect(try await setup.gateway.store.webhookEndpoints.endpoint(endpoint.endpoint.id)?.failingSince == setup.clock.now)
    }

    @Test func anEndpointReceivesItsMessagesInEventOrderAndLaterOnesWaitBehindARetry() async throws {
        let setup = try await Setup()
        let slow = WebhookReceiver(now: { setup.clock.now })
        let healthy = WebhookReceiver(now: { setup.clock.now })
        slow.answer([503])
        try await slow.application.test(.live) { slowClient in
            try await healthy.application.test(.live) { healthyClient in
                let first = try await setup.webhooks.add(WebhookEndpointInput(url: Self.url(try #require(slowClient.port))), at: setup.clock.now)
                let second = try await setup.webhooks.add(WebhookEndpointInput(url: Self.url(try #require(healthyClient.port))), at: setup.clock.now)
                slow.verify(with: [first.secret])
                healthy.verify(with: [second.secret])
                for name in ["Cedar Dental", "Dune Dental", "Elm Dental"] { try await setup.submit(name) }
                let dispatcher = setup.dispatcher

                // The slow endpoint's first message failed: its others wait; the healthy one has all three.
                #expect(try await dispatcher.dispatchDue() == 4)
                #expect(slow.received.count == 1)
                #expect(healthy.received.count == 3)
                setup.clock.advance(by: 5)
                #expect(try await dispatcher.dispatchDue() == 3)
            }
        }
        let order = try await setup.gateway.store.outbox.events(type: nil, beforeSequence: nil, limit: 10).reversed().map(\.event.id)
        #expect(slow.received.map(\.id) == [order[0]] + order)
        #expect(healthy.received.map(\.id) == order)
        #expect((slow.received + healthy.received).allSatisfy { $0.verified })
        #expect(healthy.received.compactMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] }
            .compactMap { (($0["data"] as? [String: Any])?["submission"] as? [String: Any])?["prospect_name"] as? String }
            == ["Cedar Dental", "Dune Dental", "Elm Dental"])
    }

    @Test func duringARotationOverlapEachMessageCarriesBothSignatures() async throws {
        let setup = try await Setup()
        let receiver = WebhookReceiver(now: { setup.clock.now })
        try await receiver.application.test(.live) { client in
            let endpoint = try await setup.webhooks.add(WebhookEndpointInput(url: Self.url(try #require(client.port))), at: setup.clock.now)
            let rotated = try await setup.webhooks.rotateSecret(endpoint.endpoint.id, overlapHours: 1, at: setup.clock.now)
            receiver.verify(with: [endpoint.secret, rotated.secret])
            let dispatcher = setup.dispatcher
            try await setup.submit("Cedar Dental")
            #expect(try await dispatcher.dispatchDue() == 1)
            // After the overlap only the new secret signs.
            setup.clock.advance(by: 3_601)
            try await setup.submit("Dune Dental")
            #expect(try await dispatcher.dispatchDue() == 1)
        }
        let received = receiver.received
        #expect(received.map(\.verifiedWith) == [[true, true], [false, true]])
        #expect(received.map { $0.signatureHeader?.split(separator: " ").count } == [2, 1])
        #expect(received.allSatisfy { $0.signatureHeader?.split(separator: " ").allSatisfy { $0.hasPrefix("v1,") } == true })
    }

    @Test func aResendSendsAMessageAgainWithItsIdAndDeadOnesGoAgainTogetherInOrder() async throws {
        let setup = try await Setup(retryDelays: [])
        let receiver = WebhookReceiver(now: { setup.clock.now })
        try await receiver.application.test(.live) { client in
            let endpoint = try await setup.webhooks.add(WebhookEndpointInput(url: Self.url(try #require(client.port))), at: setup.clock.now)
            receiver.verify(with: [endpoint.secret])
            let dispatcher = setup.dispatcher
            try await setup.submit("Cedar Dental")
            #expect(try await dispatcher.dispatchDue() == 1)
            let delivered = try #require(try await setup.messages(endpoint.endpoint.id).first)
            #expect(delivered.status == .delivered)
            // The receiver lost it: sent again, with the same webhook-id.
            _ = try await setup.webhooks.resend(delivered.id, at: setup.clock.now)
            #expect(try await dispatcher.dispatchDue() == 1)
            #expect(receiver.received.map(\.id) == [delivered.eventID, delivered.eventID])

            // With no retries scheduled, a failure is final at once.
            receiver.answer([500, 500])
            try await setup.submit("Dune Dental")
            try await setup.submit("Elm Dental")
            #expect(try await dispatcher.dispatchDue() == 2)
            #expect(try await setup.messages(endpoint.endpoint.id).map(\.status) == [.delivered, .dead, .dead])
            #expect(try await setup.webhooks.resendFailed(of: endpoint.endpoint.id, at: setup.clock.now) == 2)
            #expect(try await dispatcher.dispatchDue() == 2)
            #expect(try await setup.messages(endpoint.endpoint.id).map(\.status) == [.delivered, .delivered, .delivered])
        }
        let ids = receiver.received.map(\.id)
        #expect(ids.count == 6 && ids[2] == ids[4] && ids[3] == ids[5])
        #expect(receiver.received.allSatisfy { $0.verified })
    }

    @Test func theRunningServiceIsWokenByTheOutboxAndDeliversSubmittedSignedAndCreated() async throws {
        let gateway = try TestGateway()
        let receiver = WebhookReceiver()
        let program = gateway.program
        let partner = try await program.addPartner(PartnerInput(name: "Acme Accounting", kind: "center_of_influence"), at: Date())
        let plan = try await program.addPlan(
            PlanInput(name: "10% of collected", terms: PlanTerms(rules: [.recurringShare(rate: BasisPoints(1000), months: nil)])), at: Date())
        // Polling an hour apart: only the outbox waking it can deliver within the test.
        let dispatcher = OutboundDispatcher(
            store: gateway.store, client: HTTPClient.shared, configuration: OutboundDispatcher.Configuration(pollInterval: .seconds(3_600)),
            logger: gateway.logger)
        try await receiver.application.test(.live) { receiverClient in
            let endpoint = try await WebhookEndpointService(store: gateway.store).add(
                WebhookEndpointInput(url: Self.url(try #require(receiverClient.port)), events: ["referral.submitted", "referral.signed", "accrual.created"]),
                at: Date())
            receiver.verify(with: [endpoint.secret])
            try await gateway.application(services: [dispatcher]).test(.live) { client in
                // The partner submits Bright Dental in the portal; the admin accepts it on the plan.
                let portal = PortalService(store: gateway.store)
                let submission = try await portal.submit(
                    SubmissionInput(
                        prospectName: "Bright Dental", domain: Stories.brightDentalDomain, contactName: "Ann", contactEmail: "ann@brightdental.example"),
                    by: partner.id, at: Events.date("2025-05-20"))
                try await Self.waitFor(receiver, count: 1)
                _ = try await portal.accept(submission.id, plan: plan.id.rawValue, at: Date())
                // Stripe reports Bright Dental's first payment.
                let invoice = try TestGateway.fixture("stripe/invoice.paid.json")
                try await client.execute(
                    uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(invoice), body: ByteBuffer(bytes: invoice)
                ) { #expect($0.status == .ok) }
                try await Self.waitFor(receiver, count: 3)
            }
        }
        let received = receiver.received
        #expect(received.map(\.type) == ["referral.submitted", "referral.signed", "accrual.created"])
        #expect(received.allSatisfy { $0.verified && $0.answered == 200 })
    }

    /// Waits (up to ten seconds) until the receiver has `count` requests.
    static func waitFor(_ receiver: WebhookReceiver, count: Int) async throws {
        for _ in 0..<500 where receiver.received.count < count { try await Task.sleep(for: .milliseconds(20)) }
        #expect(receiver.received.count == count)
    }
}
