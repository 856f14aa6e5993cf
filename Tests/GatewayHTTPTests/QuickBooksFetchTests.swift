import AsyncHTTPClient
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
import Synchronization
import Testing

@Suite struct QuickBooksFetchTests {
    static let verifier = Secret("fixture-verifier-token-0001")
    static let realm = "9341454977738491"

    static func client(port: Int, store: any Repositories, attempts: Int = 3) -> QuickBooksClient {
        QuickBooksClient(
            credentials: .init(
                realmID: realm, clientID: FakeQuickBooks.clientID, clientSecret: Secret(FakeQuickBooks.clientSecret),
                refreshToken: Secret("refresh-0"), apiBase: URL(string: "http://127.0.0.1:\(port)")!,
                tokenURL: URL(string: "http://127.0.0.1:\(port)/oauth2/v1/tokens/bearer")!),
            client: HTTPClient.shared, store: store,
            retry: RetryPolicy(attempts: attempts, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50)))
    }

    /// A gateway whose QuickBooks client talks to the fake on `port`.
    static func gateway(port: Int, attempts: Int = 3) throws -> TestGateway {
        try TestGateway(secrets: ["quickbooks": [verifier]], fetchers: { store in [client(port: port, store: store, attempts: attempts)] })
    }

    static func notify(_ client: some TestClientProtocol, fixture: String = "quickbooks/payment.create.legacy.json") async throws -> Int64 {
        let body = try TestGateway.fixture(fixture)
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[HTTPField.Name("intuit-signature")!] = HMACBodySignatureScheme(header: "intuit-signature", algorithm: .sha256)
            .sign(body: body, secret: verifier, at: Date()).first!.value
        return try await client.execute(uri: "/webhooks/quickbooks", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
            #expect(response.status == .ok)
            return try Receipt.from(response.body).delivery_id
        }
    }

    @Test func theNotificationIsAcknowledgedWithoutWaitingForTheFetch() async throws {
        let fake = FakeQuickBooks()
        // The API hangs: QuickBooks must still get its 200 (it allows 3 s) while the fetch waits.
        fake.state.withLock { $0.holding = true }
        try await fake.application.test(.live) { fakeClient in
            let gateway = try Self.gateway(port: try #require(fakeClient.port))
            try await gateway.application.test(.live) { client in
                let id = try await Self.notify(client)
                #expect(try await [.stored, .processing].contains(gateway.store.inbox.delivery(DeliveryID(id))?.status))
                fake.state.withLock { $0.holding = false }
                try await gateway.processor.drain()
                #expect(try await gateway.store.inbox.delivery(DeliveryID(id))?.status == .processed)
            }
        }
    }

    @Test func aPaymentIsFetchedWithAFreshTokenAndItsCustomerAndMapped() async throws {
        let fake = FakeQuickBooks()
        try await fake.application.test(.live) { fakeClient in
            let gateway = try Self.gateway(port: try #require(fakeClient.port))
            let id = try await gateway.application.test(.live) { client in try await Self.notify(client) }
            try await gateway.processor.drain()

            let delivery = try #require(try await gateway.store.inbox.delivery(DeliveryID(id)))
            #expect(delivery.status == .processed, "\(delivery.statusReason ?? "")")
            let events = try await gateway.store.inbox.businessEvents(of: DeliveryID(id)).map(\.event)
            #expect(events.map(\.businessKey) == [
                "quickbooks:\(Self.realm):invoice:145:payment:217:paid", "quickbooks:\(Self.realm):invoice:146:payment:217:paid",
            ])
            #expect(events.first?.customer?.email == "ap@brightdental.example")
            #expect(fake.state.withLock { $0.entityRequests } == ["payment/217", "customer/58"])
            // Intuit rotated the refresh token; the new one is kept for the next start.
            #expect(try await gateway.store.vendorState.oauthToken(named: "quickbooks:\(Self.realm)")?.refreshToken == "refresh-1")
        }
    }

    @Test func transientFailuresAreRetriedWithBackoff() async throws {
        let fake = FakeQuickBooks()
        fake.state.withLock { $0.failuresBeforeSuccess = 2 }
        try await fake.application.test(.live) { fakeClient in
            let gateway = try Self.gateway(port: try #require(fakeClient.port), attempts: 3)
            let id = try await gateway.application.test(.live) { client in try await Self.notify(client) }
            try await gateway.processor.drain()
            #expect(try await gateway.store.inbox.delivery(DeliveryID(id))?.status == .processed)
            #expect(fake.state.withLock { $0.entityRequests } == ["payment/217", "payment/217", "payment/217", "customer/58"])
        }
    }

    @Test func aFetchThatKeepsFailingIsRetriedWithBackoffThenDead() async throws {
        let fake = FakeQuickBooks()
        fake.state.withLock { $0.outage = 503 }
        let clock = ManualClock(start: Date())
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try TestGateway(
                secrets: ["quickbooks": [Self.verifier]], fetchers: { [Self.client(port: port, store: $0, attempts: 2)] },
                retry: RetryPolicy(attempts: 3, baseDelay: .seconds(60), maxDelay: .seconds(600)), now: { clock.now })
            let id = try await gateway.application.test(.live) { client in try await Self.notify(client) }
            try await gateway.processor.drain()
            var delivery = try #require(try await gateway.store.inbox.delivery(DeliveryID(id)))
            #expect(delivery.status == .retrying)
            #expect(delivery.statusReason == "quickbooks fetch: QuickBooks could not serve Payment 217: HTTP 503 (gave up after 2 attempts)")
            let next = try #require(delivery.nextAttemptAt)
            #expect(next > clock.now.addingTimeInterval(29) && next <= clock.now.addingTimeInterval(60))

            // Not yet due: a drain leaves it alone (and would process newer deliveries meanwhile).
            try await gateway.processor.drain()
            #expect(fake.state.withLock { $0.entityRequests }.count == 2)

            clock.advance(by: 61)
            try await gateway.processor.drain()
            #expect(try await gateway.store.inbox.delivery(DeliveryID(id))?.status == .retrying)
            clock.advance(by: 121)
            try await gateway.processor.drain()
            delivery = try #require(try await gateway.store.inbox.delivery(DeliveryID(id)))
            #expect(delivery.status == .dead)
            #expect(delivery.statusReason?.hasSuffix("(gave up after 3 processing attempts)") == true)
            #expect(fake.state.withLock { $0.entityRequests }.count == 6)
            #expect(delivery.body == (try TestGateway.fixture("quickbooks/payment.create.legacy.json")))
        }
    }

    @Test func aRevokedAccessTokenIsRefreshedOnceAndTheFetchRetried() async throws {
        let fake = FakeQuickBooks()
        try await fake.application.test(.live) { fakeClient in
            let gateway = try Self.gateway(port: try #require(fakeClient.port))
            _ = try await gateway.application.test(.live) { client in try await Self.notify(client) }
            try await gateway.processor.drain()
            // Intuit revokes the access token before it expires; the next notification still goes through.
            fake.state.withLock { $0.validAccessToken = nil }
            let second = try await gateway.application.test(.live) { client in
                try await Self.notify(client, fixture: "quickbooks/payment.created.cloudevents.json")
            }
            try await gateway.processor.drain()
            #expect(try await gateway.store.inbox.delivery(DeliveryID(second))?.status == .processed)
            #expect(fake.state.withLock { $0.refreshes } == 2)
            #expect(fake.state.withLock { $0.entityRequests } == ["payment/217", "customer/58", "payment/217", "payment/217", "customer/58"])
            // Both notifications report one payment: it accrues (or not) once.
            let keys = try await gateway.store.inbox.businessEvents(of: DeliveryID(second)).map(\.event.businessKey)
            #expect(keys.count == 2)
        }
    }

    @Test func aClientWhoseRefreshTokenAnotherProcessRotatedTakesTheStoredOne() async throws {
        let fake = FakeQuickBooks()
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let store = try TemporaryStore()
            // The server's client and a backfill's from the command line, on one store.
            let server = Self.client(port: port, store: store.store)
            let command = Self.client(port: port, store: store.store)
            let payment = EnrichmentRequest(connector: "quickbooks", account: Self.realm, entity: "Payment", id: "217", operation: "Read", occurredAt: nil)
            _ = try await server.fetch(payment)
            // Intuit revokes the access token; the command's client refreshes, which spends the
            // refresh token the server's client holds.
            fake.state.withLock { $0.validAccessToken = nil }
            _ = try await command.fetch(payment)
            #expect(fake.state.withLock { $0.refreshes } == 2)
            // The server's 401 finds the rotated token in the store instead of spending a dead one.
            _ = try await server.fetch(payment)
            #expect(fake.state.withLock { $0.refreshes } == 2)
            #expect(try await store.store.vendorState.oauthToken(named: "quickbooks:\(Self.realm)")?.refreshToken == "refresh-2")
        }
    }

    @Test func aNotificationForARealmWithoutCredentialsFailsWithTheReason() async throws {
        let fake = FakeQuickBooks()
        try await fake.application.test(.live) { fakeClient in
            let gateway = try Self.gateway(port: try #require(fakeClient.port))
            let id = try await gateway.application.test(.live) { client in
                try await Self.notify(client, fixture: "quickbooks/mixed.cloudevents.json")
            }
            try await gateway.processor.drain()
            let delivery = try #require(try await gateway.store.inbox.delivery(DeliveryID(id)))
            #expect(delivery.status == .failed)
            #expect(delivery.statusReason?.contains("no QuickBooks credentials for realm 4620816365031524960") == true)
        }
    }
}
