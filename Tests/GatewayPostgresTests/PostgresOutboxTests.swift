import Foundation
import GatewayCore
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import PostgresNIO
import Synchronization
import Testing

/// The transactional outbox, its messages and endpoints on PostgreSQL, with the engine's real
/// `OutboundEvents` rules.
@Suite(PostgresTestDatabase.enabled) struct PostgresOutboxTests {
    static let now = Date(timeIntervalSince1970: 1_748_736_000)

    func addPartner(_ database: PostgresGatewayDatabase) async throws {
        try await database.execute(
            "INSERT INTO partner (id, name, kind, payout_form, created_at) VALUES (1, 'Acme CPA', 'center_of_influence', 'cash', \(Self.now))")
    }

    func submission(_ name: String) -> ReferralSubmission {
        ReferralSubmission(
            id: SubmissionID(0), partnerID: PartnerID(1), prospectName: name, domain: "\(name.lowercased()).example", contactName: "Pat",
            contactEmail: "pat@\(name.lowercased()).example", note: nil, submittedAt: Self.now)
    }

    func count(_ table: String, _ database: PostgresGatewayDatabase) async throws -> Int64 {
        // The table names are the test's own literals, never input.
        try await database.rows("SELECT COUNT(*) FROM \(unescaped: table)").first!.decode(Int64.self)
    }

    @Test func aChangeWritesItsEventInItsTransactionAndQueuesOneMessagePerSubscribedEndpoint() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            try await addPartner(database)
            let store = PostgresStore(database: database, outboundEvents: OutboundEvents())
            let submitted = try await store.webhookEndpoints.addEndpoint(
                url: "https://crm.example/hooks", description: nil, eventTypes: [.referralSubmitted], secret: "whsec_a", at: Self.now)
            let payouts = try await store.webhookEndpoints.addEndpoint(
                url: "https://books.example/hooks", description: "payouts only", eventTypes: [.payoutPaid], secret: "whsec_b", at: Self.now)
            let everything = try await store.webhookEndpoints.addEndpoint(
                url: "https://all.example/hooks", description: nil, eventTypes: [], secret: "whsec_c", at: Self.now)

            let stored = try await store.portal.addSubmission(submission("Globex"), at: Self.now)

            let events = try await store.outbox.events(type: nil, beforeSequence: nil, limit: 10)
            #expect(events.map(\.event.type) == [.referralSubmitted])
            #expect(events.first?.event.subject.contains("\(stored.id)") == true)
            #expect(try await store.outbox.event(sequence: events[0].sequence) == events[0])
            let messages = try await store.outbox.messages(matching: OutboundMessageQuery())
            #expect(Set(messages.map(\.endpointID)) == [submitted.id, everything.id])
            #expect(messages.allSatisfy { $0.status == .pending && $0.eventID == events[0].event.id && $0.nextAttemptAt == Self.now })
            #expect(try await store.outbox.messages(matching: OutboundMessageQuery(endpoint: payouts.id)).isEmpty)
            let counts = try await store.outbox.messageCounts()
            #expect(counts[submitted.id]?[.pending] == 1 && counts[everything.id]?[.pending] == 1 && counts[payouts.id] == nil)
        }
    }

    @Test func aChangeThatRollsBackWritesNoEventAndNoMessage() async throws {
        struct Abandoned: Error {}
        try await PostgresTestDatabase.withFreshSchema { database in
            try await addPartner(database)
            let endpoints = PostgresWebhookEndpointRepository(database: database)
            _ = try await endpoints.addEndpoint(url: "https://all.example/hooks", description: nil, eventTypes: [], secret: "whsec_c", at: Self.now)
            // The portal's own write, then a failure later in the same transaction.
            await #expect(throws: Abandoned.self) {
                try await database.transaction { connection in
                    let row = try await connection.execute(
                        """
                        INSERT INTO referral_submission (partner_id, prospect_name, domain, contact_name, contact_email, note, submitted_at, status)
                        VALUES (1, 'Globex', 'globex.example', 'Pat', 'pat@globex.example', NULL, \(Self.now), 'submitted') RETURNING *
                        """, logger: database.logger
                    ).first!
                    let stored = try ReferralSubmission(postgres: row)
                    try await PostgresOutbox.announce([.referralSubmitted(stored)], OutboundEvents(), at: Self.now, connection, logger: database.logger)
                    // Inside the transaction, the event and its message are there.
                    #expect(try await connection.execute("SELECT COUNT(*) FROM outbound_message", logger: database.logger).first!.decode(Int64.self) == 1)
                    throw Abandoned()
                }
            }
            #expect(try await count("referral_submission", database) == 0)
            #expect(try await count("outbound_event", database) == 0)
            #expect(try await count("outbound_message", database) == 0)

            // A repository write whose change fails to commit (an unknown partner) leaves none either.
            let portal = PostgresPortalRepository(database: database, outbound: OutboundEvents())
            let unknown = ReferralSubmission(
                id: SubmissionID(0), partnerID: PartnerID(99), prospectName: "Initech", domain: "initech.example", contactName: "Pat",
                contactEmail: "pat@initech.example", note: nil, submittedAt: Self.now)
            await #expect(throws: (any Error).self) { _ = try await portal.addSubmission(unknown, at: Self.now) }
            #expect(try await count("outbound_event", database) == 0)
        }
    }

    @Test func anEventWithADedupKeyAlreadyInTheOutboxIsNotWrittenAgain() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            let endpoints = PostgresWebhookEndpointRepository(database: databases[0])
            _ = try await endpoints.addEndpoint(url: "https://all.example/hooks", description: nil, eventTypes: [], secret: "whsec_c", at: Self.now)
            let event = OutboundEvent(id: "evt_1", type: .accrualPayable, subject: "accrual:1", dedupKey: "payable:1", occurredAt: Self.now, payload: Data("{}".utf8))
            // Two instances announce the same once-only event at once.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, database) in databases.enumerated() {
                    var copy = event
                    copy.id = "evt_\(index)"
                    group.addTask {
                        try await database.transaction { connection in
                            try await PostgresOutbox.append([copy], at: Self.now, connection, logger: database.logger)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await count("outbound_event", databases[0]) == 1)
            #expect(try await count("outbound_message", databases[0]) == 1)
        }
    }

    @Test func anEndpointGetsItsDueMessagesOneAtATimeInEventOrder() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            try await addPartner(database)
            let store = PostgresStore(database: database, outboundEvents: OutboundEvents())
            let endpoint = try await store.webhookEndpoints.addEndpoint(
                url: "https://crm.example/hooks", description: nil, eventTypes: [.referralSubmitted], secret: "whsec_a", at: Self.now)
            let names = ["Globex", "Initech", "Hooli"]
            for name in names { _ = try await store.portal.addSubmission(submission(name), at: Self.now) }
            let events = try await store.outbox.events(type: .referralSubmitted, beforeSequence: nil, limit: 10).reversed().map(\.event.id)
            #expect(events.count == 3)

            // Only the oldest is due: the next waits until it is delivered or dead.
            let first = try await store.outbox.dueDispatches(at: Self.now, limit: 10)
            #expect(first.map(\.message.eventID) == [events[0]])
            #expect(first.first?.url == "https://crm.example/hooks")
            #expect(first.first?.signingSecrets == ["whsec_a"])
            #expect(try await store.outbox.dueDispatches(at: Self.now, limit: 10).isEmpty, "claimed: not due again while its attempt runs")

            // A failure with a retry keeps the endpoint's order: nothing else is due until the retry.
            let later = Self.now.addingTimeInterval(1)
            let failed = try await store.outbox.recordAttempt(
                first[0].message.id, result: .failed(statusCode: 503, error: "HTTP 503", retryAt: later.addingTimeInterval(5)),
                disableIfFailingSince: later.addingTimeInterval(-86_400), at: later)
            #expect(failed == OutboundAttemptRecorded(endpointDisabled: false, failingSince: later))
            #expect(try await store.outbox.dueDispatches(at: later.addingTimeInterval(1), limit: 10).isEmpty)
            let retry = try await store.outbox.dueDispatches(at: later.addingTimeInterval(5), limit: 10)
            #expect(retry.map(\.message.eventID) == [events[0]])
            #expect(retry.first?.message.attempts == 1 && retry.first?.message.status == .retrying)

            var sent: [String] = []
            var at = later.addingTimeInterval(5)
            var due = retry
            while let dispatch = due.first {
                sent.append(dispatch.message.eventID)
                try await store.outbox.recordAttempt(
                    dispatch.message.id, result: .delivered(statusCode: 204), disableIfFailingSince: at.addingTimeInterval(-86_400), at: at)
                at = at.addingTimeInterval(1)
                due = try await store.outbox.dueDispatches(at: at, limit: 10)
            }
            #expect(sent == events)
            #expect(try await store.webhookEndpoints.endpoint(endpoint.id)?.failingSince == nil, "a success clears the failing time")
            let delivered = try await store.outbox.messages(matching: OutboundMessageQuery(endpoint: endpoint.id, statuses: [.delivered]))
            #expect(delivered.count == 3)
        }
    }

    @Test func anEndpointFailingTooLongIsDisabledAndEnablingItMakesItsMessagesDue() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            try await addPartner(database)
            let store = PostgresStore(database: database, outboundEvents: OutboundEvents())
            let endpoint = try await store.webhookEndpoints.addEndpoint(
                url: "https://crm.example/hooks", description: nil, eventTypes: [], secret: "whsec_a", at: Self.now)
            _ = try await store.portal.addSubmission(submission("Globex"), at: Self.now)
            let due = try await store.outbox.dueDispatches(at: Self.now, limit: 10)
            try #require(due.count == 1)
            let late = Self.now.addingTimeInterval(10)
            let recorded = try await store.outbox.recordAttempt(
                due[0].message.id, result: .failed(statusCode: nil, error: "connection refused", retryAt: nil), disableIfFailingSince: late, at: late)
            #expect(recorded.endpointDisabled)
            let disabled = try await store.webhookEndpoints.endpoint(endpoint.id)
            #expect(disabled?.disabledAt == late)
            #expect(try await store.outbox.message(due[0].message.id)?.status == .dead)

            #expect(try await store.outbox.resendDead(of: endpoint.id, at: late) == 1)
            #expect(try await store.outbox.dueDispatches(at: late, limit: 10).isEmpty, "a disabled endpoint is sent nothing")
            _ = try await store.webhookEndpoints.enableEndpoint(endpoint.id, at: late)
            #expect(try await store.outbox.dueDispatches(at: late, limit: 10).map(\.message.id) == [due[0].message.id])
            await #expect(throws: GatewayError.self) { _ = try await store.outbox.resend(OutboundMessageID(999), at: late) }
        }
    }

    @Test func aRotatedSecretSignsBesideTheNewOneUntilItsOverlapEnds() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            try await addPartner(database)
            let store = PostgresStore(database: database, outboundEvents: OutboundEvents())
            let endpoint = try await store.webhookEndpoints.addEndpoint(
                url: "https://crm.example/hooks", description: nil, eventTypes: [], secret: "whsec_old", at: Self.now)
            #expect(endpoint.secretCreatedAt == Self.now && endpoint.previousSecretExpiresAt == nil)
            let rotatedAt = Self.now.addingTimeInterval(60)
            let overlapEnds = rotatedAt.addingTimeInterval(3600)
            let rotated = try await store.webhookEndpoints.rotateSecret(endpoint.id, to: "whsec_new", previousExpiresAt: overlapEnds, at: rotatedAt)
            #expect(rotated.secretCreatedAt == rotatedAt)
            #expect(rotated.previousSecretExpiresAt == overlapEnds)

            _ = try await store.portal.addSubmission(submission("Globex"), at: rotatedAt)
            let during = try await store.outbox.dueDispatches(at: rotatedAt, limit: 10)
            #expect(during.first?.signingSecrets == ["whsec_new", "whsec_old"], "the current secret first")
            // After the overlap (and past the claim's lease) only the new one signs.
            let after = overlapEnds.addingTimeInterval(1)
            #expect(try await store.outbox.dueDispatches(at: after, limit: 10).first?.signingSecrets == ["whsec_new"])

            // Rotating again drops the first secret for good and leaves one current secret.
            _ = try await store.webhookEndpoints.rotateSecret(endpoint.id, to: "whsec_newer", previousExpiresAt: after.addingTimeInterval(60), at: after)
            let secrets = try await database.rows("SELECT secret FROM webhook_endpoint_secret ORDER BY id").map { try $0.decode(String.self) }
            #expect(secrets == ["whsec_new", "whsec_newer"])
            await #expect(throws: GatewayError.self) {
                _ = try await store.webhookEndpoints.rotateSecret(WebhookEndpointID(999), to: "x", previousExpiresAt: after, at: after)
            }
            let actions = try await database.rows("SELECT action FROM audit_log WHERE action LIKE 'webhook_endpoint.%' ORDER BY id").map { try $0.decode(String.self) }
            #expect(actions == ["webhook_endpoint.created", "webhook_endpoint.secret_rotated", "webhook_endpoint.secret_rotated"])

            try await store.webhookEndpoints.removeEndpoint(endpoint.id, at: after)
            #expect(try await store.webhookEndpoints.endpoints().isEmpty)
            #expect(try await count("outbound_message", database) == 0, "its messages go with it")
            #expect(try await count("outbound_event", database) == 1, "the events stay")
        }
    }

    @Test func twoInstancesDispatchingAtOnceNeverClaimTheSameMessage() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            try await addPartner(databases[0])
            let stores = databases.map { PostgresStore(database: $0, outboundEvents: OutboundEvents()) }
            for index in 0..<6 {
                _ = try await stores[index % 2].webhookEndpoints.addEndpoint(
                    url: "https://receiver\(index).example/hooks", description: nil, eventTypes: [], secret: "whsec_\(index)", at: Self.now)
            }
            for index in 0..<5 { _ = try await stores[index % 2].portal.addSubmission(submission("Prospect\(index)"), at: Self.now) }
            let total = try await count("outbound_message", databases[0])
            #expect(total == 30)

            // Each instance runs its dispatcher's loop: claim what is due, "send" it, record it.
            let claims = try await withThrowingTaskGroup(of: [(instance: Int, message: OutboundMessage)].self) { group in
                for (instance, store) in stores.enumerated() {
                    group.addTask {
                        var claimed: [(instance: Int, message: OutboundMessage)] = []
                        var idle = 0
                        while idle < 3 {
                            let due = try await store.outbox.dueDispatches(at: Self.now, limit: 4)
                            if due.isEmpty {
                                idle += 1
                                try await Task.sleep(for: .milliseconds(20))
                                continue
                            }
                            idle = 0
                            for dispatch in due {
                                claimed.append((instance, dispatch.message))
                                // Claimed only as its endpoint's oldest undelivered message.
                                let waiting = try await store.outbox.messages(
                                    matching: OutboundMessageQuery(endpoint: dispatch.message.endpointID, statuses: [.pending, .retrying]))
                                #expect(waiting.allSatisfy { $0.eventSequence >= dispatch.message.eventSequence })
                                try await store.outbox.recordAttempt(
                                    dispatch.message.id, result: .delivered(statusCode: 200), disableIfFailingSince: .distantPast, at: Self.now)
                            }
                        }
                        return claimed
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let ids = claims.map(\.message.id)
            #expect(ids.count == Int(total), "every message claimed once")
            #expect(Set(ids).count == ids.count, "no message claimed twice")
            #expect(Set(claims.map(\.instance)).count == 2, "both instances took a share")
            for (_, messages) in Dictionary(grouping: claims.map(\.message), by: \.endpointID) {
                let delivered = try await stores[0].outbox.messages(matching: OutboundMessageQuery(endpoint: messages[0].endpointID, statuses: [.delivered]))
                #expect(delivered.count == 5)
            }
        }
    }

    @Test func aClaimHeldByAnotherInstanceIsSkippedAndExpiresWithItsLease() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            try await addPartner(databases[0])
            let one = PostgresStore(database: databases[0], outboundEvents: OutboundEvents())
            let other = PostgresOutboxRepository(database: databases[1], outbound: OutboundEvents(), claimLease: 60)
            _ = try await one.webhookEndpoints.addEndpoint(url: "https://crm.example/hooks", description: nil, eventTypes: [], secret: "s", at: Self.now)
            _ = try await one.portal.addSubmission(submission("Globex"), at: Self.now)
            let claimed = try await one.outbox.dueDispatches(at: Self.now, limit: 10)
            #expect(claimed.count == 1)
            #expect(try await other.dueDispatches(at: Self.now.addingTimeInterval(30), limit: 10).isEmpty)
            // The first instance died mid-attempt: after its lease (300 s by default) the message is due again.
            #expect(try await other.dueDispatches(at: Self.now.addingTimeInterval(301), limit: 10).map(\.message.id) == claimed.map(\.message.id))
        }
    }

    @Test func aQueuedMessageWakesTheListenersOfEveryInstanceAtCommit() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            try await addPartner(databases[0])
            let writer = PostgresStore(database: databases[0], outboundEvents: OutboundEvents())
            let listener = PostgresOutboxRepository(database: databases[1], outbound: OutboundEvents())
            _ = try await writer.webhookEndpoints.addEndpoint(url: "https://crm.example/hooks", description: nil, eventTypes: [], secret: "s", at: Self.now)
            let heard = Mutex(false)
            let changes = listener.queueChanges()
            let listening = Task {
                for await _ in changes {
                    heard.withLock { $0 = true }
                    break
                }
            }
            defer { listening.cancel() }
            // The listener needs a moment to start listening; keep writing until it hears one.
            for attempt in 0..<50 where !heard.withLock({ $0 }) {
                _ = try await writer.portal.addSubmission(submission("Prospect\(attempt)"), at: Self.now)
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(heard.withLock { $0 }, "a commit that queued messages notified the other instance's listener")
        }
    }

    @Test func aWriteThatQueuesNothingNotifiesNoOne() async throws {
        try await PostgresTestDatabase.withFreshSchema { database in
            try await addPartner(database)
            // No endpoint: the event is written, no message is queued, nobody is woken.
            let store = PostgresStore(database: database, outboundEvents: OutboundEvents())
            let heard = Mutex(false)
            let changes = store.outbox.queueChanges()
            let listening = Task {
                for await _ in changes { heard.withLock { $0 = true } }
            }
            defer { listening.cancel() }
            try await Task.sleep(for: .milliseconds(300))
            _ = try await store.portal.addSubmission(submission("Globex"), at: Self.now)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await count("outbound_event", database) == 1)
            #expect(!heard.withLock { $0 })
        }
    }
}
