import Foundation
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `/admin/webhook-endpoints`, `/admin/webhook-messages` and `/admin/outbound-events` over HTTP:
/// the secret shown once, refusals with their status, the message log and resends.
@Suite struct WebhookEndpointRouteTests {
    struct Endpoint: Decodable {
        var id: Int64
        var url: String
        var events: [String]
        var secret: String?
        var disabled_at: Date?
        var disabled_reason: String?
        var previous_secret_expires_at: Date?
        var messages: [String: Int]?
    }

    struct Message: Decodable {
        var id: Int64
        var endpoint_id: Int64
        var event_id: String
        var event_type: String
        var status: String
        var attempts: Int
        var body: String?
    }

    struct Event: Decodable {
        var sequence: Int64
        var id: String
        var type: String
        var body: String
    }

    struct Refusal: Decodable {
        var error: String
        var reason: String
        var field: String?
    }

    func call<T: Decodable>(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ json: String? = nil, expect status: HTTPResponse.Status
    ) async throws -> T {
        try await client.execute(uri: uri, method: method, headers: TestGateway.adminHeaders, body: json.map { ByteBuffer(string: $0) }) { response in
            #expect(response.status == status, "\(method) \(uri): \(String(buffer: response.body))")
            return try T.from(response.body)
        }
    }

    @Test func anEndpointIsRegisteredWithASecretShownOnceAndItsMessagesCanBeResent() async throws {
        let clock = ManualClock(start: Events.date("2025-06-02"))
        let gateway = try TestGateway(now: { clock.now })
        try await Stories.brightDental(gateway.program, at: Events.date("2025-05-20"))
        try await gateway.application.test(.router) { client in
            let bad: Refusal = try await call(client, .post, "/admin/webhook-endpoints", #"{"url":"mailto:ops@example.com"}"#, expect: .badRequest)
            #expect(bad.field == "url")
            let unknown: Refusal = try await call(
                client, .post, "/admin/webhook-endpoints", #"{"url":"https://crm.example/hooks","events":["referral.won"]}"#, expect: .badRequest)
            #expect(unknown.field == "events" && unknown.reason.contains("referral.signed"))

            let created: Endpoint = try await call(
                client, .post, "/admin/webhook-endpoints", #"{"url":"https://crm.example/hooks","events":["referral.signed","accrual.created"]}"#,
                expect: .created)
            let secret = try #require(created.secret)
            #expect(secret.hasPrefix("whsec_") && created.events == ["accrual.created", "referral.signed"])
            // Listed and read without the secret.
            let listed: [Endpoint] = try await call(client, .get, "/admin/webhook-endpoints", expect: .ok)
            #expect(listed.map(\.id) == [created.id] && listed.allSatisfy { $0.secret == nil })
            try await client.execute(uri: "/admin/webhook-endpoints/\(created.id)", method: .get, headers: TestGateway.adminHeaders) { response in
                #expect(response.status == .ok)
                #expect(!String(buffer: response.body).contains(secret))
            }
            let missing: Refusal = try await call(client, .get, "/admin/webhook-endpoints/99", expect: .notFound)
            #expect(missing.reason == "webhook endpoint 99 does not exist")

            // A payment signs the referral and accrues: two messages for this endpoint.
            let invoice = try TestGateway.fixture("stripe/invoice.paid.json")
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(invoice, at: clock.now), body: ByteBuffer(bytes: invoice)
            ) { #expect($0.status == .ok) }
            try await gateway.processor.drain()
            let messages: [Message] = try await call(client, .get, "/admin/webhook-endpoints/\(created.id)/messages", expect: .ok)
            #expect(messages.map(\.event_type) == ["accrual.created", "referral.signed"])
            #expect(messages.allSatisfy { $0.status == "pending" && $0.endpoint_id == created.id })
            let events: [Event] = try await call(client, .get, "/admin/outbound-events?type=referral.signed", expect: .ok)
            #expect(events.map(\.id) == [messages[1].event_id])
            #expect(events[0].body.hasPrefix(#"{"data":{"contract":"#))
            let one: Message = try await call(client, .get, "/admin/webhook-messages/\(messages[1].id)", expect: .ok)
            #expect(one.body == events[0].body)

            // A message that died is queued again, alone or with every dead one of its endpoint.
            try await gateway.store.outbox.recordAttempt(
                OutboundMessageID(messages[0].id), result: .failed(statusCode: 500, error: "HTTP 500", retryAt: nil),
                disableIfFailingSince: .distantPast, at: clock.now)
            let dead: [Message] = try await call(client, .get, "/admin/webhook-messages?status=dead", expect: .ok)
            #expect(dead.map(\.id) == [messages[0].id] && dead[0].attempts == 1)
            let resent: Message = try await call(client, .post, "/admin/webhook-messages/\(messages[0].id)/resend", expect: .ok)
            #expect(resent.status == "pending" && resent.attempts == 0)
            try await gateway.store.outbox.recordAttempt(
                OutboundMessageID(messages[0].id), result: .failed(statusCode: nil, error: "connection refused", retryAt: nil),
                disableIfFailingSince: .distantPast, at: clock.now)
            let bulk: [String: Int] = try await call(client, .post, "/admin/webhook-endpoints/\(created.id)/resend-failed", expect: .ok)
            #expect(bulk == ["resent": 1])
            let unknownMessage: Refusal = try await call(client, .post, "/admin/webhook-messages/999/resend", expect: .notFound)
            #expect(unknownMessage.error == "not_found")

            // Rotation returns the new secret once and says until when the old one signs.
            let rotated: Endpoint = try await call(
                client, .post, "/admin/webhook-endpoints/\(created.id)/rotate", #"{"overlap_hours":2}"#, expect: .ok)
            #expect(rotated.secret != nil && rotated.secret != secret)
            #expect(rotated.previous_secret_expires_at == clock.now.addingTimeInterval(7_200))
            let defaultOverlap: Endpoint = try await call(client, .post, "/admin/webhook-endpoints/\(created.id)/rotate", expect: .ok)
            #expect(defaultOverlap.previous_secret_expires_at == clock.now.addingTimeInterval(86_400))

            let disabled: Endpoint = try await call(
                client, .post, "/admin/webhook-endpoints/\(created.id)/disable", #"{"reason":"CRM migration"}"#, expect: .ok)
            #expect(disabled.disabled_reason == "CRM migration" && disabled.disabled_at != nil)
            let enabled: Endpoint = try await call(client, .post, "/admin/webhook-endpoints/\(created.id)/enable", expect: .ok)
            #expect(enabled.disabled_at == nil)

            let removed: [String: String] = try await call(client, .delete, "/admin/webhook-endpoints/\(created.id)", expect: .ok)
            #expect(removed == ["result": "removed"])
            let gone: [Message] = try await call(client, .get, "/admin/webhook-messages", expect: .ok)
            #expect(gone.isEmpty)
        }
        // Without the admin token, nothing.
        try await gateway.application.test(.router) { client in
            try await client.execute(uri: "/admin/webhook-endpoints", method: .get) { #expect($0.status == .unauthorized) }
        }
    }
}
