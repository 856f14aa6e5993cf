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

/// HaloPSA on a live server: it signs nothing, so the credential set on its webhook is what lets
/// a delivery in, and that credential is neither stored nor logged.
@Suite struct HaloPSARouteTests {
    static let credential = Secret("halo-webhook:Tr0ub4dor&3 correct horse")

    func headers(_ authorization: String?) -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let authorization { fields[.authorization] = authorization }
        return fields
    }

    @Test func theWebhooksCredentialLetsADeliveryInAndIsNeitherStoredNorLogged() async throws {
        let recorder = RecordingLogHandler()
        let gateway = try TestGateway(
            secrets: ["halopsa": [Secret("hk_bearer_token_0001"), Self.credential]], logger: Logger(label: "test", factory: { _ in recorder }))
        let body = try TestGateway.fixture("halopsa/contract.created.json")
        let basic = "Basic \(Data(Self.credential.value.utf8).base64EncodedString())"
        let wrong = "Basic \(Data("halo-webhook:a guessed password".utf8).base64EncodedString())"
        try await gateway.application.test(.live) { client in
            for (authorization, code) in [(nil, "missing_header"), (wrong, "no_signature_matched"), ("Digest realm=halo", "malformed_header")] {
                try await client.execute(uri: "/webhooks/halopsa", method: .post, headers: headers(authorization), body: ByteBuffer(bytes: body)) { response in
                    #expect(response.status == .unauthorized)
                    let refusal = try Refusal.from(response.body)
                    #expect(refusal.error == code)
                }
            }
            #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).isEmpty)
            var results: [String] = []
            for _ in 0..<2 {
                try await client.execute(uri: "/webhooks/halopsa", method: .post, headers: headers(basic), body: ByteBuffer(bytes: body)) {
                    #expect($0.status == .ok)
                    results.append(try Receipt.from($0.body).result)
                }
            }
            // Halo sends no event id: the same bytes again are the same delivery.
            #expect(results == ["stored", "duplicate"])
            try await client.execute(uri: "/webhooks/halopsa", method: .post, headers: headers("Bearer hk_bearer_token_0001"), body: ByteBuffer(bytes: body + Data(" ".utf8))) {
                #expect($0.status == .ok)
            }
            try await gateway.processor.drain()
        }

        let stored = try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).sorted { $0.id.rawValue < $1.id.rawValue }
        #expect(stored.map(\.verification.matchedSecretIndex) == [1, 0])
        #expect(stored.map(\.verification.scheme) == ["shared_credential", "shared_credential"])
        #expect(stored.allSatisfy { $0.headers["authorization"] == nil })
        let first = try #require(stored.first)
        #expect(first.status == .processed)
        let events = try await gateway.store.inbox.businessEvents(of: first.id)
        guard case .agreementCreated(let agreement)? = events.first?.event else {
            Issue.record("the contract did not become an agreement: \(events)")
            return
        }
        #expect(agreement.agreementID == "87")
        #expect(agreement.customer.id == "212")
        #expect(agreement.recurringAmount == Money(minorUnits: 149900, currency: CurrencyCode("USD")!))

        let log = recorder.text
        #expect(log.contains("webhook refused"))
        for forbidden in ["Tr0ub4dor", "a guessed password", "hk_bearer_token_0001", Data(Self.credential.value.utf8).base64EncodedString()] {
            #expect(!log.contains(forbidden), "log contains \(forbidden)")
        }
    }
}
