import AsyncHTTPClient
import Foundation
import GatewayCore
import GatewayEngine
@testable import GatewayPostgres
import GatewayRepositories
import PostgresNIO
import Synchronization
import Testing

/// The engine's `OutboundDispatcher` on two instances sharing one PostgreSQL database: each
/// message is attempted by one of them only.
@Suite(PostgresTestDatabase.enabled) struct PostgresDispatcherTests {
    static let now = Date(timeIntervalSince1970: 1_748_736_000)

    /// Counts attempts per endpoint, whichever dispatcher made them.
    final class Attempts: OutboundObserver {
        let byEndpoint = Mutex<[WebhookEndpointID: Int]>([:])
        func attempted(endpoint: WebhookEndpointID, outcome: String) { byEndpoint.withLock { $0[endpoint, default: 0] += 1 } }
        func endpointDisabled(_ endpoint: WebhookEndpointID) {}
    }

    @Test func twoDispatchersOnTwoInstancesAttemptEachMessageOnce() async throws {
        try await PostgresTestDatabase.withFreshSchema(instances: 2) { databases in
            try await databases[0].execute(
                "INSERT INTO partner (id, name, kind, payout_form, created_at) VALUES (1, 'Acme CPA', 'center_of_influence', 'cash', \(Self.now))")
            let stores = databases.map { PostgresStore(database: $0, outboundEvents: OutboundEvents()) }
            // Receivers that refuse the connection: every attempt fails and is retried an hour later,
            // so each endpoint's first message is the only one due, and is attempted once.
            var endpoints: [WebhookEndpointID] = []
            for index in 0..<6 {
                endpoints.append(
                    try await stores[index % 2].webhookEndpoints.addEndpoint(
                        url: "http://127.0.0.1:1/hooks/\(index)", description: nil, eventTypes: [], secret: "whsec_\(index)", at: Self.now
                    ).id)
            }
            for name in ["Globex", "Initech", "Hooli"] {
                _ = try await stores[1].portal.addSubmission(
                    ReferralSubmission(
                        id: SubmissionID(0), partnerID: PartnerID(1), prospectName: name, domain: "\(name.lowercased()).example", contactName: "Pat",
                        contactEmail: "pat@\(name.lowercased()).example", note: nil, submittedAt: Self.now),
                    at: Self.now)
            }

            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: OutboundDispatcher.Configuration.clientConfiguration)
            let attempts = Attempts()
            let configuration = OutboundDispatcher.Configuration(retryDelays: [3600], requestTimeout: .milliseconds(500))
            let dispatchers = stores.map {
                OutboundDispatcher(
                    store: $0, client: client, configuration: configuration, now: { Self.now }, observer: attempts, logger: PostgresTestDatabase.logger)
            }
            let made: Int
            do {
                made = try await withThrowingTaskGroup(of: Int.self) { group in
                    for dispatcher in dispatchers { group.addTask { try await dispatcher.dispatchDue() } }
                    return try await group.reduce(0, +)
                }
            } catch {
                try await client.shutdown()
                throw error
            }
            try await client.shutdown()

            #expect(made == endpoints.count, "one attempt per endpoint between the two dispatchers")
            #expect(attempts.byEndpoint.withLock { $0 } == Dictionary(uniqueKeysWithValues: endpoints.map { ($0, 1) }))
            let messages = try await stores[0].outbox.messages(matching: OutboundMessageQuery(limit: 100))
            #expect(messages.count == 18)
            #expect(messages.filter { $0.attempts == 1 }.count == endpoints.count)
            #expect(messages.allSatisfy { $0.attempts <= 1 }, "no message was attempted twice")
            #expect(messages.filter { $0.status == .retrying }.allSatisfy { $0.nextAttemptAt == Self.now.addingTimeInterval(3600) })
        }
    }
}
