import Foundation
import GatewayAdapters
import GatewayCore
import GatewayHTTP
import GatewayEngine
import GatewayRepositories
import GatewayStore
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Every webhook source, on a live server: signed → 200 and stored, tampered → 401 and nothing
/// stored, a retry → stored once.
@Suite struct EverySourceRouteTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var source: String
        var fixture: String
        var secret: Secret
        var testDescription: String { source }
    }

    static let cases = [
        Case(source: "stripe", fixture: "stripe/invoice.paid.json", secret: TestGateway.stripeSecret),
        Case(source: "quickbooks", fixture: "quickbooks/payment.create.legacy.json", secret: Secret("fixture-verifier-token-0001")),
        Case(source: "autotask", fixture: "autotask/company.create.json", secret: Secret("fixture-autotask-secret-0001")),
        Case(source: "connectwise", fixture: "connectwise/agreement.added.json", secret: Secret("fixture-cw-signing-key-0001")),
        Case(source: "generic", fixture: "generic/invoice.paid.json", secret: Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")),
    ]

    func headers(for body: Data, with adapter: Adapter, secret: Secret) -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        for (name, value) in adapter.scheme.sign(body: body, secret: secret, at: Date()) {
            fields[HTTPField.Name(name)!] = value
        }
        return fields
    }

    @Test(arguments: cases)
    func signedIsStoredTamperedIsRefusedARetryIsStoredOnce(_ source: Case) async throws {
        let gateway = try TestGateway(secrets: [source.source: [source.secret]])
        let adapter = try #require(gateway.adapters[source.source])
        let body = try TestGateway.fixture(source.fixture)
        let signed = headers(for: body, with: adapter, secret: source.secret)
        try await gateway.application.test(.live) { client in
            let tampered = body + Data(" ".utf8)
            try await client.execute(uri: "/webhooks/\(source.source)", method: .post, headers: signed, body: ByteBuffer(bytes: tampered)) {
                #expect($0.status == .unauthorized)
            }
            let unsigned: HTTPFields = [.contentType: "application/json"]
            try await client.execute(uri: "/webhooks/\(source.source)", method: .post, headers: unsigned, body: ByteBuffer(bytes: body)) {
                #expect($0.status == .unauthorized)
            }
            #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).isEmpty)

            var results: [String] = []
            for _ in 0..<2 {
                // A retry: the vendor's id is the same (Standard Webhooks keeps webhook-id; others sign the same body).
                try await client.execute(uri: "/webhooks/\(source.source)", method: .post, headers: signed, body: ByteBuffer(bytes: body)) {
                    #expect($0.status == .ok)
                    results.append(try Receipt.from($0.body).result)
                }
            }
            #expect(results == ["stored", "duplicate"])
        }
        let stored = try await gateway.store.inbox.deliveries(matching: DeliveryQuery())
        #expect(stored.count == 1)
        #expect(stored.first?.body == body)
        #expect(stored.first?.verification.scheme == adapter.scheme.name)
    }

    /// A Standard Webhooks sender on ed25519 through Svix: the gateway holds only the public key.
    @Test func anEd25519SenderUsingSvixHeaderNamesIsStoredUnderItsSvixID() async throws {
        let publicKey = Secret("whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=")
        let privateKey = Secret("whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=")
        let gateway = try TestGateway(secrets: ["generic": [Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), publicKey]])
        let body = try TestGateway.fixture("generic/invoice.paid.json")
        func fields(_ pairs: [(name: String, value: String)]) -> HTTPFields {
            var fields: HTTPFields = [.contentType: "application/json"]
            for (name, value) in pairs { fields[HTTPField.Name(name)!] = value }
            return fields
        }
        let scheme = StandardWebhooksSignatureScheme()
        let signed = fields(scheme.sign(body: body, secret: privateKey, id: "msg_svix_1", at: Date(), names: .svix))
        let wrongKey = fields(
            scheme.sign(body: body, secret: Secret("whsk_\(Data(repeating: 1, count: 32).base64EncodedString())"), id: "msg_svix_2", at: Date(), names: .svix))
        try await gateway.application.test(.live) { client in
            try await client.execute(uri: "/webhooks/generic", method: .post, headers: wrongKey, body: ByteBuffer(bytes: body)) {
                #expect($0.status == .unauthorized)
                #expect(String(buffer: $0.body).contains("no_signature_matched"))
            }
            try await client.execute(uri: "/webhooks/generic", method: .post, headers: signed, body: ByteBuffer(bytes: body)) {
                #expect($0.status == .ok)
            }
        }
        let stored = try await gateway.store.inbox.deliveries(matching: DeliveryQuery())
        #expect(stored.map(\.vendorDeliveryID) == ["msg_svix_1"])
        #expect(stored.first?.verification.matchedSecretIndex == 1)
        #expect(stored.first?.headers["svix-id"] == "msg_svix_1")
    }

    @Test func aSourceDefinedOnlyByAFileIsServedAtItsRoute() async throws {
        let adapter = try AdapterCatalog.parseDefinition(
            """
            source: billing-co
            version: 1
            signature: { scheme: hmac_body, header: X-BillingCo-Signature, algorithm: sha256 }
            delivery_id: event_id
            event_type: kind
            events:
              payment.collected:
                emit: invoice_paid
                fields:
                  invoice_id: invoice.number
                  customer_id: invoice.account
                  amount: invoice.cents
                  currency: invoice.currency
                  paid_at: invoice.at
            """, file: "billing-co.yaml")
        let gateway = try TestGateway(secrets: ["billing-co": [Secret("bc-secret")]], adapters: AdapterCatalog(adapters: [adapter]))
        let body = Data(
            #"{"event_id":"bc_1","kind":"payment.collected","invoice":{"number":"INV-9","account":"acc_7","cents":120000,"currency":"eur","at":"2025-06-01T10:00:00Z"}}"#
                .utf8)
        try await gateway.application.test(.live) { client in
            try await client.execute(
                uri: "/webhooks/billing-co", method: .post, headers: headers(for: body, with: adapter, secret: Secret("bc-secret")),
                body: ByteBuffer(bytes: body)
            ) {
                #expect($0.status == .ok)
            }
        }
        try await gateway.processor.drain()
        let delivery = try #require(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).first)
        #expect(delivery.status == .processed)
        let events = try await gateway.store.inbox.businessEvents(of: delivery.id)
        #expect(events.first?.event.businessKey == "billing-co:-:invoice:INV-9:paid")
    }
}
