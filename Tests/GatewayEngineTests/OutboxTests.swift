import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayTestSupport
import Testing

/// The outbox on a real store: every change that receivers hear about writes its event in the
/// transaction of the change, queued for the endpoints subscribed to its type; a change that
/// rolls back leaves nothing; time alone announces holds that ended and windows that closed, once.
@Suite struct OutboxTests {
    static func day(_ text: String) -> Date { Events.date(text) }

    /// Stores a delivery and settles it with `result`, as the processor would.
    @discardableResult
    static func settle(
        _ result: ProcessingResult, id: String, into store: any Repositories, at now: Date
    ) async throws -> DeliveryID {
        let delivery = try await store.inbox.ingest(
            IncomingDelivery(
                source: "stripe", vendorDeliveryID: id, eventType: "invoice.paid", receivedAt: now, requestID: nil, body: Data(), headers: [:],
                verification: Verification(scheme: "stripe", matchedSecretIndex: 0))
        ).deliveryID
        try await store.inbox.settle([(delivery, result)], rules: LedgerService(), at: now)
        return delivery
    }

    /// The outbox's events, oldest first.
    static func outbox(_ store: any Repositories) async throws -> [StoredOutboundEvent] {
        try await store.outbox.events(type: nil, beforeSequence: nil, limit: 1_000).reversed()
    }

    /// An event's body as JSON.
    static func body(_ event: StoredOutboundEvent) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: event.event.payload) as? [String: Any])
    }

    static func data(_ event: StoredOutboundEvent, _ key: String) throws -> [String: Any] {
        try #require((try body(event)["data"] as? [String: Any])?[key] as? [String: Any])
    }

    @Test func aSubmissionThenAPaymentAnnounceSubmittedSignedAndCreatedToTheSubscribedEndpoints() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let webhooks = WebhookEndpointService(store: store)
        let story = try await Stories.brightDental(temporary.program, at: Self.day("2025-05-20"))
        let everything = try await webhooks.add(WebhookEndpointInput(url: "https://hooks.example/all"), at: Self.day("2025-05-21"))
        let signedOnly = try await webhooks.add(
            WebhookEndpointInput(url: "https://hooks.example/signed", events: ["referral.signed"]), at: Self.day("2025-05-21"))

        let submission = try await PortalService(store: store).submit(
            SubmissionInput(prospectName: "Cedar Dental", domain: "cedardental.example", contactName: "Dr. Cedar", contactEmail: "cedar@cedardental.example"),
            by: story.partner.id, at: Self.day("2025-06-01"))
        try await Self.settle(
            .mapped([Events.paid("in_1", dollars: 499, on: "2025-06-01")], adapterVersion: 1), id: "evt_1", into: store, at: Self.day("2025-06-02"))

        let events = try await Self.outbox(store)
        #expect(events.map(\.event.type) == [.referralSubmitted, .referralSigned, .accrualCreated])
        #expect(events.map(\.event.subject) == ["submission:\(submission.id)", "referral:\(story.referral.referral.id)", "accrual:1"])
        #expect(Set(events.map(\.event.id)).count == 3 && events.allSatisfy { $0.event.id.hasPrefix("evt_") && !$0.event.id.contains(".") })

        let submitted = try Self.body(events[0])
        #expect(submitted["type"] as? String == "referral.submitted")
        #expect(submitted["timestamp"] as? String == "2025-06-01T00:00:00Z")
        #expect(try Self.data(events[0], "submission")["prospect_name"] as? String == "Cedar Dental")
        let signed = try Self.data(events[1], "referral")
        #expect(signed["prospect_name"] as? String == "Bright Dental" && signed["status"] as? String == "signed")
        #expect(try Self.data(events[1], "contract")["referral_id"] as? Int == Int(story.referral.referral.id.rawValue))
        let accrual = try Self.data(events[2], "accrual")
        #expect((accrual["amount"] as? [String: Any])?["minor_units"] as? Int == 4_990)
        #expect(accrual["status"] as? String == "pending")

        // Each endpoint has a message for each event of a type it subscribed to, and nothing else.
        let all = try await store.outbox.messages(matching: OutboundMessageQuery(endpoint: everything.endpoint.id))
        #expect(all.map(\.eventType) == [.accrualCreated, .referralSigned, .referralSubmitted])
        #expect(all.allSatisfy { $0.status == .pending && $0.attempts == 0 })
        let onlySigned = try await store.outbox.messages(matching: OutboundMessageQuery(endpoint: signedOnly.endpoint.id))
        #expect(onlySigned.map(\.eventType) == [.referralSigned])
        #expect(onlySigned.first?.eventID == events[1].event.id)

        // A second payment accrues a second line but the referral was signed once.
        try await Self.settle(
            .mapped([Events.paid("in_2", dollars: 499, on: "2025-07-01")], adapterVersion: 1), id: "evt_2", into: store, at: Self.day("2025-07-02"))
        #expect(try await Self.outbox(store).map(\.event.type).suffix(1) == [.accrualCreated])
    }

    @Test func aChangeThatRollsBackLeavesNothingInTheOutbox() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        _ = try await WebhookEndpointService(store: store).add(WebhookEndpointInput(url: "https://hooks.example/all"), at: Self.day("2025-05-21"))
        try await Stories.brightDental(temporary.program, at: Self.day("2025-05-20"))
        // The adapter could not map it: a failure receivers hear of.
        let delivery = try await Self.settle(.failed(reason: "no mapping", adapterVersion: 1), id: "evt_1", into: store, at: Self.day("2025-06-02"))
        let failed = try await Self.outbox(store)
        #expect(failed.map(\.event.type) == [.deliveryFailed])
        let reported = try Self.data(failed[0], "delivery")
        #expect(reported["reason"] as? String == "no mapping" && reported["source"] as? String == "stripe" && reported["body"] == nil)

        // A dry-run replay would sign the referral and accrue, then rolls back: no event, no message.
        let fixed: [(DeliveryID, ProcessingResult)] = [(delivery, .mapped([Events.paid("in_1", dollars: 499, on: "2025-06-01")], adapterVersion: 2))]
        let dry = try await store.inbox.replay(fixed, dryRun: true, rules: LedgerService(), at: Self.day("2025-06-03"))
        #expect(dry.diff.created.count == 1)
        #expect(try await Self.outbox(store).count == 1)
        #expect(try await store.outbox.messages(matching: OutboundMessageQuery()).count == 1)

        // Applied, the same replay announces both.
        _ = try await store.inbox.replay(fixed, dryRun: false, rules: LedgerService(), at: Self.day("2025-06-03"))
        #expect(try await Self.outbox(store).map(\.event.type) == [.deliveryFailed, .referralSigned, .accrualCreated])
        #expect(try await store.outbox.messages(matching: OutboundMessageQuery()).count == 3)
    }

    @Test func timeAloneAnnouncesAHoldThatEndedAndAWindowThatClosedOnce() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let story = try await Stories.brightDental(temporary.program, at: Self.day("2025-05-20"))
        let dune = try await temporary.program.addReferral(
            ReferralInput(
                partnerID: story.partner.id.rawValue, planID: story.plan.id.rawValue, prospectName: "Dune Dental", domains: ["dunedental.example"],
                introducedAt: "2025-06-01"), at: Self.day("2025-06-01"))
        try await Self.settle(
            .mapped([Events.paid("in_1", dollars: 499, on: "2025-06-01")], adapterVersion: 1), id: "evt_1", into: store, at: Self.day("2025-06-02"))
        #expect(try await Self.outbox(store).map(\.event.type) == [.referralSigned, .accrualCreated])

        // The first look starts the clock: what happened before it is history, not news.
        try await store.outbox.announceTimePassing(at: Self.day("2025-06-02"))
        #expect(try await Self.outbox(store).count == 2)
        // The 30-day hold ends on 1 July.
        try await store.outbox.announceTimePassing(at: Self.day("2025-07-01T12:00:00Z"))
        let afterHold = try await Self.outbox(store)
        #expect(afterHold.map(\.event.type) == [.referralSigned, .accrualCreated, .accrualPayable])
        #expect(try Self.data(afterHold[2], "accrual")["status"] as? String == "payable")
        // Dune Dental's 60-day window closes on 31 July; Bright Dental signed, so it never expires.
        try await store.outbox.announceTimePassing(at: Self.day("2025-07-31"))
        #expect(try await Self.outbox(store).count == 3)
        try await store.outbox.announceTimePassing(at: Self.day("2025-08-01T00:00:01Z"))
        try await store.outbox.announceTimePassing(at: Self.day("2025-08-02"))
        let expired = try await Self.outbox(store)
        #expect(expired.map(\.event.type) == [.referralSigned, .accrualCreated, .accrualPayable, .referralExpired])
        #expect(expired[3].event.subject == "referral:\(dune.referral.id)")
        #expect(try Self.data(expired[3], "referral")["status"] as? String == "expired")
        #expect(try Self.body(expired[3])["data"].flatMap { ($0 as? [String: Any])?["expired_at"] } as? String == "2025-07-31T00:00:00Z")
        // A clock that goes back announces nothing again.
        try await store.outbox.announceTimePassing(at: Self.day("2025-07-01"))
        #expect(try await Self.outbox(store).count == 4)
    }

    @Test func aLossAVoidAPayoutAndARefundAfterPaymentAreAnnounced() async throws {
        let temporary = try TemporaryStore()
        let (store, program) = (temporary.store, temporary.program)
        let story = try await Stories.brightDental(program, at: Self.day("2025-05-20"))
        let cedar = try await program.addReferral(
            ReferralInput(
                partnerID: story.partner.id.rawValue, planID: story.plan.id.rawValue, prospectName: "Cedar Dental", domains: ["cedardental.example"],
                introducedAt: "2025-06-01"), at: Self.day("2025-06-01"))
        _ = try await program.loseReferral(cedar.referral.id, on: "2025-06-15", reason: "went with another MSP", at: Self.day("2025-06-15"))
        let lost = try #require(try await Self.outbox(store).last)
        #expect(lost.event.type == .referralLost)
        #expect(try Self.data(lost, "referral")["lost_reason"] as? String == "went with another MSP")

        // A payment whose hold is over when it is processed is created payable.
        try await Self.settle(
            .mapped([Events.paid("in_1", dollars: 499, on: "2025-06-01")], adapterVersion: 1), id: "evt_1", into: store, at: Self.day("2025-08-01"))
        // A second one is voided during its hold: its line is clawed back.
        try await Self.settle(
            .mapped([Events.paid("in_2", dollars: 499, on: "2025-07-25")], adapterVersion: 1), id: "evt_2", into: store, at: Self.day("2025-08-01"))
        try await Self.settle(.mapped([Events.void("in_2", on: "2025-07-28")], adapterVersion: 1), id: "evt_3", into: store, at: Self.day("2025-08-01"))
        var types = try await Self.outbox(store).map(\.event.type)
        #expect(types == [.referralLost, .referralSigned, .accrualCreated, .accrualPayable, .accrualCreated, .accrualClawedBack])

        let payout = try await program.createPayout(note: nil, at: Self.day("2025-08-02"))
        _ = try await program.markPayoutPaid(payout.id, at: Self.day("2025-08-03"))
        // A refund after payment adds a negative line against the paid one.
        try await Self.settle(
            .mapped([Events.credit("cn_1", invoice: "in_1", dollars: 100, on: "2025-08-05")], adapterVersion: 1), id: "evt_4", into: store,
            at: Self.day("2025-08-05"))
        let events = try await Self.outbox(store)
        types = events.map(\.event.type)
        #expect(types.suffix(3) == [.payoutCreated, .payoutPaid, .accrualClawedBack])
        #expect(try Self.data(events[types.count - 2], "payout")["paid_at"] as? String == "2025-08-03T00:00:00Z")
        let clawback = try Self.data(events[types.count - 1], "accrual")
        #expect((clawback["amount"] as? [String: Any])?["minor_units"] as? Int == -1_000)
    }

    @Test func aLineAboveTheApprovalThresholdIsAnnouncedPayableWhenApproved() async throws {
        let temporary = try TemporaryStore()
        let (store, program) = (temporary.store, temporary.program)
        try await Stories.brightDental(program, at: Self.day("2025-05-20"))
        _ = try await program.updateSettings(SettingsInput(approvalThresholds: ["USD": 1_000]), at: Self.day("2025-05-20"))
        // Processed after its hold: only the approval holds it.
        try await Self.settle(
            .mapped([Events.paid("in_1", dollars: 499, on: "2025-06-01")], adapterVersion: 1), id: "evt_1", into: store, at: Self.day("2025-08-01"))
        let created = try await Self.outbox(store)
        #expect(created.map(\.event.type) == [.referralSigned, .accrualCreated])
        #expect(try Self.data(created[1], "accrual")["status"] as? String == "awaiting_approval")
        _ = try await program.approveAccrual(AccrualID(1), at: Self.day("2025-08-02"))
        let approved = try #require(try await Self.outbox(store).last)
        #expect(approved.event.type == .accrualPayable && approved.event.occurredAt == Self.day("2025-08-02"))
        // Time passing later does not announce it again.
        try await store.outbox.announceTimePassing(at: Self.day("2025-08-02"))
        try await store.outbox.announceTimePassing(at: Self.day("2025-09-02"))
        #expect(try await Self.outbox(store).count == 3)
    }

    @Test func endpointsAreCheckedAndASecretIsShownOnceAndRotatedWithAnOverlap() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let webhooks = WebhookEndpointService(store: store, rotationOverlap: 7_200)
        let now = Self.day("2026-01-01")
        await #expect(throws: GatewayError.invalid("url must be an http:// or https:// address", field: "url")) {
            try await webhooks.add(WebhookEndpointInput(url: "ftp://hooks.example"), at: now)
        }
        await #expect(throws: GatewayError.invalid("url must not be empty", field: "url")) { try await webhooks.add(WebhookEndpointInput(url: " "), at: now) }
        await #expect(throws: GatewayError.self) { try await webhooks.add(WebhookEndpointInput(url: "https://hooks.example", events: ["referral.won"]), at: now) }
        await #expect(throws: GatewayError.notFound("webhook endpoint 9 does not exist")) { try await webhooks.rotateSecret(WebhookEndpointID(9), at: now) }

        let issued = try await webhooks.add(
            WebhookEndpointInput(url: "https://hooks.example/in", events: ["accrual.created", "referral.signed", "accrual.created"], description: " CRM "),
            at: now)
        #expect(issued.endpoint.eventTypes == [.accrualCreated, .referralSigned])
        #expect(issued.endpoint.description == "CRM")
        #expect(issued.secret.hasPrefix("whsec_") && Data(base64Encoded: String(issued.secret.dropFirst(6)))?.count == 24)
        await #expect(throws: GatewayError.self) { try await webhooks.rotateSecret(issued.endpoint.id, overlapHours: -1, at: now) }

        // Queue one message, then rotate: both secrets sign during the overlap, the new one first.
        try await Stories.brightDental(temporary.program, at: Self.day("2025-05-20"))
        try await Self.settle(
            .mapped([Events.paid("in_1", dollars: 499, on: "2025-06-01")], adapterVersion: 1), id: "evt_1", into: store, at: now)
        let rotated = try await webhooks.rotateSecret(issued.endpoint.id, at: now.addingTimeInterval(60))
        #expect(rotated.secret != issued.secret && rotated.endpoint.previousSecretExpiresAt == now.addingTimeInterval(60 + 7_200))
        let during = try await store.outbox.dueDispatches(at: now.addingTimeInterval(3_600), limit: 10)
        #expect(during.count == 1 && during[0].signingSecrets == [rotated.secret, issued.secret])
        let after = try await store.outbox.dueDispatches(at: now.addingTimeInterval(7_261), limit: 10)
        #expect(after.first?.signingSecrets == [rotated.secret])
        // A second rotation ends the first overlap at once.
        let again = try await webhooks.rotateSecret(issued.endpoint.id, overlapHours: 1, at: now.addingTimeInterval(120))
        #expect(try await store.outbox.dueDispatches(at: now.addingTimeInterval(180), limit: 10).first?.signingSecrets == [again.secret, rotated.secret])

        // The secret is never in a listing.
        let listed = try await webhooks.endpoints()
        #expect(listed.count == 1 && listed[0].count(.pending) == 2)
        let encoded = String(decoding: try JSONEncoder().encode(listed), as: UTF8.self)
        #expect(!encoded.contains("whsec_"))

        // Removing the endpoint removes its messages; the events stay (the line was payable at once,
        // which this endpoint did not subscribe to).
        try await webhooks.remove(issued.endpoint.id, at: now)
        #expect(try await store.outbox.messages(matching: OutboundMessageQuery()).isEmpty)
        #expect(try await Self.outbox(store).map(\.event.type) == [.referralSigned, .accrualCreated, .accrualPayable])
    }
}
