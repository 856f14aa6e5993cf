import AsyncHTTPClient
import Foundation
import GRDB
import GatewayAdapters
import GatewayCore
import GatewayEngine
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOHTTP1
import Testing

struct Receipt: Decodable, Equatable {
    var result: String
    var delivery_id: Int64
}

struct Refusal: Decodable, Equatable {
    var error: String
    var reason: String
}

@Suite struct WebhookRouteTests {
    @Test func aSignedDeliveryIsStoredBeforeItIsAcknowledged() async throws {
        let gateway = try TestGateway()
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        try await gateway.application.test(.live) { client in
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)
            ) { response in
                #expect(response.status == .ok)
                let receipt = try Receipt.from(response.body)
                #expect(receipt.result == "stored")
                // The 200 came after the commit: the row is there, byte for byte.
                let stored = try #require(try await gateway.store.inbox.delivery(.init(receipt.delivery_id)))
                #expect(stored.body == body)
                #expect(stored.vendorDeliveryID == "evt_1RZq3LKx7aQ2mN0pV1eT9bYc")
                #expect(stored.eventType == "invoice.paid")
                #expect(stored.verification.matchedSecretIndex == 0)
                #expect(stored.headers["stripe-signature"] != nil)
                #expect(stored.headers["content-type"] == "application/json")
                #expect(stored.requestID?.isEmpty == false)
            }
        }
    }

    @Test func aTamperedBodyIsRefused401AndNothingIsStored() async throws {
        let gateway = try TestGateway()
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        var edited = body
        edited.replaceSubrange(edited.range(of: Data("49900".utf8))!, with: Data("99900".utf8))
        let tampered = edited
        try await gateway.application.test(.live) { client in
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: tampered)
            ) { response in
                #expect(response.status == .unauthorized)
                let refusal = try Refusal.from(response.body)
                #expect(refusal.error == "no_signature_matched")
            }
        }
        #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).isEmpty)
    }

    @Test func aRefusalIsAnsweredAfterThePauseWhileAValidDeliveryIsNot() async throws {
        // Long enough that a valid delivery on a starved CI machine (25 s seen) still beats it.
        let gateway = try TestGateway(refusalPause: .seconds(30))
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        let forged = TestGateway.stripeHeaders(body, secret: Secret("whsec_not_the_one"))
        try await gateway.application.test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))/webhooks/stripe"
            let started = ContinuousClock.now
            // Each on its own connection, as two vendors' requests would be.
            func post(_ headers: HTTPFields) async throws -> (HTTPResponse.Status, Duration) {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                for field in headers { request.headers.add(name: field.name.canonicalName, value: field.value) }
                request.body = .bytes(ByteBuffer(bytes: body))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
                return (HTTPResponse.Status(code: Int(response.status.code)), ContinuousClock.now - started)
            }
            async let refused = post(forged)
            // Sent after the forged one, answered before it: the pause holds no worker.
            try await Task.sleep(for: .milliseconds(100))
            let accepted = try await post(TestGateway.stripeHeaders(body))
            let (status, took) = try await refused
            #expect(status == .unauthorized)
            #expect(took >= .seconds(30), "the refusal waited out the pause")
            #expect(accepted.0 == .ok)
            #expect(accepted.1 < took, "the valid delivery did not wait behind the refusal")
        }
        #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).count == 1)
    }

    @Test func aRefusalTheVendorShouldRetryIsNotPaused() async throws {
        // No secret for Stripe: a 503 the vendor retries once the operator sets it. Pausing it
        // would only slow the vendor's retries, so the pause is for 4xx refusals alone.
        let gateway = try TestGateway(stripeSecrets: [], refusalPause: .seconds(30))
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        try await gateway.application.test(.live) { client in
            let started = ContinuousClock.now
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)
            ) { response in
                #expect(response.status == .serviceUnavailable)
                let refusal = try Refusal.from(response.body)
                #expect(refusal.error == "no_secret_configured")
            }
            #expect(ContinuousClock.now - started < .seconds(30), "a 503 is answered without the refusal pause")
        }
        #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).isEmpty)
    }

    @Test func eachSignatureFailureIsExplained() async throws {
        let gateway = try TestGateway()
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        let stale = TestGateway.stripeHeaders(body, at: Date().addingTimeInterval(-301))
        var malformed = TestGateway.stripeHeaders(body)
        malformed[HTTPField.Name("Stripe-Signature")!] = "v1=abc"
        let wrongSecret = TestGateway.stripeHeaders(body, secret: Secret("whsec_other"))
        let cases: [(HTTPFields, String)] = [
            ([.contentType: "application/json"], "missing_header"),
            (malformed, "malformed_header"),
            (stale, "timestamp_outside_tolerance"),
            (wrongSecret, "no_signature_matched"),
        ]
        try await gateway.application.test(.live) { client in
            for (headers, code) in cases {
                try await client.execute(uri: "/webhooks/stripe", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                    #expect(response.status == .unauthorized)
                    let refusal = try Refusal.from(response.body)
                    #expect(refusal.error == code)
                    #expect(!refusal.reason.contains(TestGateway.stripeSecret.value))
                }
            }
        }
        #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).isEmpty)
    }

    @Test func aRetryOfTheSameEventIsAcknowledgedAndStoredOnce() async throws {
        let gateway = try TestGateway()
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        try await gateway.application.test(.live) { client in
            var receipts: [Receipt] = []
            for _ in 0..<3 {
                // Every retry is signed afresh, as Stripe does.
                try await client.execute(
                    uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)
                ) { response in
                    #expect(response.status == .ok)
                    receipts.append(try Receipt.from(response.body))
                }
            }
            #expect(receipts.map(\.result) == ["stored", "duplicate", "duplicate"])
            #expect(Set(receipts.map(\.delivery_id)).count == 1)
        }
        #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).count == 1)
    }

    @Test func anOversizedBodyIsRefused413AndTheServerStaysUp() async throws {
        let gateway = try TestGateway(maxBodyBytes: 4096)
        let big = Data(#"{"id":"evt_big","object":"event","type":"invoice.paid","pad":""#.utf8)
            + Data(repeating: UInt8(ascii: "x"), count: 8192) + Data(#""}"#.utf8)
        try await gateway.application.test(.live) { client in
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(big), body: ByteBuffer(bytes: big)
            ) { response in
                #expect(response.status == .contentTooLarge)
                let refusal = try Refusal.from(response.body)
                #expect(refusal.error == "body_too_large")
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).isEmpty)
    }

    @Test func anUnknownSourceIs404() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            try await client.execute(uri: "/webhooks/paypal", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .notFound)
                let refusal = try Refusal.from(response.body)
                #expect(refusal.error == "unknown_source")
            }
        }
    }

    @Test func aSourceWithoutASecretRefusesEveryDeliveryAndSaysHowToSetIt() async throws {
        let gateway = try TestGateway(stripeSecrets: [])
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        try await gateway.application.test(.live) { client in
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)
            ) { response in
                #expect(response.status == .serviceUnavailable)
                let refusal = try Refusal.from(response.body)
                #expect(refusal.error == "no_secret_configured")
                #expect(refusal.reason.contains("GATEWAY_STRIPE_SECRETS"))
            }
        }
        #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).isEmpty)
    }

    @Test func aStoreThatCannotCommitAnswers503AndTheNextAttemptIsStoredOnceItRecovers() async throws {
        let gateway = try TestGateway()
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        let file = gateway.directory.appendingPathComponent("gateway.sqlite").path
        var waiting = Configuration()
        waiting.busyMode = .timeout(10)
        let admin = try DatabaseQueue(path: file, configuration: waiting)
        try await gateway.application.test(.live) { client in
            // The deliveries' table is taken away, as a database gone away would be.
            try await admin.write { db in try db.execute(sql: "ALTER TABLE delivery RENAME TO delivery_away") }
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)
            ) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "30")
                let refusal = try Refusal.from(response.body)
                #expect(refusal.error == "store_unavailable")
            }
            try await admin.write { db in try db.execute(sql: "ALTER TABLE delivery_away RENAME TO delivery") }
            // The vendor's retry is stored, once.
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.stripeHeaders(body), body: ByteBuffer(bytes: body)
            ) { response in
                #expect(response.status == .ok)
                let receipt = try Receipt.from(response.body)
                #expect(receipt.result == "stored")
            }
        }
        let stored = try await gateway.store.inbox.deliveries(matching: DeliveryQuery())
        #expect(stored.count == 1)
    }

    @Test func theAdminTokenIsNoSubstituteForASignature() async throws {
        let gateway = try TestGateway()
        let body = try TestGateway.fixture("stripe/invoice.paid.json")
        try await gateway.application.test(.live) { client in
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: TestGateway.adminHeaders, body: ByteBuffer(bytes: body)
            ) { response in
                #expect(response.status == .unauthorized)
            }
        }
        #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).isEmpty)
    }

    @Test func healthzAnswersOnceTheStoreIsOpen() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
        }
    }
}
