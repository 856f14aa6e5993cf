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

/// The MSP's real stack: the contract starts in the PSA, the cash arrives in the accounting system.
@Suite struct CrossVendorStoryTests {
    @Test func aConnectWiseAgreementStartsTheContractAndALaterQuickBooksPaymentAccrues() async throws {
        let fake = FakeQuickBooks()
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let cwKey = Secret("fixture-cw-signing-key-0001")
            let gateway = try TestGateway(
                secrets: ["quickbooks": [QuickBooksFetchTests.verifier], "connectwise": [cwKey]],
                fetchers: { [QuickBooksFetchTests.client(port: port, store: $0)] })
            let usd = CurrencyCode("USD")!

            // Acme Accounting introduced Bright Dental, known in ConnectWise as company 250.
            let story = try await Stories.brightDental(gateway.program, planName: "COI 10% first year", months: 12, vendorIDs: ["connectwise": "250"])
            let (partner, referral) = (story.partner, story.referral)

            try await gateway.application.test(.live) { client in
                // 1. ConnectWise: the agreement is added.
                let agreement = try TestGateway.fixture("connectwise/agreement.added.json")
                var headers: HTTPFields = [.contentType: "application/json"]
                headers[HTTPField.Name("x-content-signature")!] = ConnectWiseSignatureScheme().sign(body: agreement, secret: cwKey, at: Date()).first!.value
                try await client.execute(uri: "/webhooks/connectwise", method: .post, headers: headers, body: ByteBuffer(bytes: agreement)) {
                    #expect($0.status == .ok)
                }
                try await gateway.processor.drain()
                let contracts = try await gateway.store.ledger.contracts()
                #expect(contracts.map(\.referralID) == [referral.referral.id])
                #expect(contracts.first?.customer == CustomerReference(source: "connectwise", id: "250", name: "Acme Dental LLC"))
                #expect(try await gateway.store.ledger.accruals(partner: partner.id).isEmpty)

                // 2. QuickBooks: the client pays two invoices in one payment.
                _ = try await QuickBooksFetchTests.notify(client)
                try await gateway.processor.drain()
            }

            let accruals = try await gateway.store.ledger.accruals(partner: partner.id)
            #expect(accruals.map(\.line.amount) == [Money(minorUnits: 4_990, currency: usd), Money(minorUnits: 2_495, currency: usd)])
            #expect(Set(accruals.map(\.contractID)) == [try await gateway.store.ledger.contracts()[0].id])
            #expect(try await gateway.program.referrals(at: Date()).first?.status == .signed)
        }
    }
}
