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
import Synchronization
import Testing

/// Xero end to end on live servers: the intent-to-receive check, and thin notifications fetched
/// from a loopback fake of the Accounting API.
@Suite struct XeroWebhookTests {
    static let webhookKey = Secret("fixture-xero-webhook-key-0001")
    static let invoiceID = "0f8e4a3c-5b7d-4e2a-9c1f-6d3b8a7e5f21"

    static func client(port: Int, store: any Repositories, tenants: [String] = [FakeXero.tenant], refreshToken: String = "refresh-0")
        -> XeroClient
    {
        XeroClient(
            credentials: .init(
                clientID: FakeXero.clientID, clientSecret: Secret(FakeXero.clientSecret), refreshToken: Secret(refreshToken), tenantIDs: tenants,
                apiBase: URL(string: "http://127.0.0.1:\(port)")!, tokenURL: URL(string: "http://127.0.0.1:\(port)/connect/token")!),
            client: HTTPClient.shared, store: store, retry: RetryPolicy(attempts: 3, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50)))
    }

    static func signed(_ body: Data, key: Secret = webhookKey) -> HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[HTTPField.Name("x-xero-signature")!] = HMACBodySignatureScheme(header: "x-xero-signature", algorithm: .sha256)
            .sign(body: body, secret: key, at: Date()).first!.value
        return headers
    }

    static func notify(_ client: some TestClientProtocol, fixture: String = "xero/invoice.update.json") async throws {
        let body = try TestGateway.fixture(fixture)
        try await client.execute(uri: "/webhooks/xero", method: .post, headers: signed(body), body: ByteBuffer(bytes: body)) { response in
            #expect(response.status == .ok)
        }
    }

    @Test func intentToReceiveGets200ForACorrectSignatureAnd401OtherwiseBothWithoutABody() async throws {
        let gateway = try TestGateway(secrets: ["xero": [Self.webhookKey]])
        let body = try TestGateway.fixture("xero/intent-to-receive.json")
        let wrong = Self.signed(body, key: Secret("not-the-webhook-key"))
        try await gateway.application.test(.live) { client in
            for headers in [wrong, [.contentType: "application/json"]] as [HTTPFields] {
                try await client.execute(uri: "/webhooks/xero", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.body.readableBytes == 0)
                    #expect(response.headers[.setCookie] == nil)
                }
            }
            // Xero sends several correctly signed requests in one check; each is answered 200.
            for _ in 0..<2 {
                try await client.execute(uri: "/webhooks/xero", method: .post, headers: Self.signed(body), body: ByteBuffer(bytes: body)) { response in
                    #expect(response.status == .ok)
                    #expect(response.body.readableBytes == 0)
                    #expect(response.headers[.setCookie] == nil)
                }
            }
            // The refusals are still explained, in the rejection log rather than to Xero.
            struct Row: Decodable {
                var source: String
                var code: String
                var status: Int
            }
            let rows = try await client.execute(uri: "/admin/rejections", method: .get, headers: TestGateway.adminHeaders) { response in
                try [Row].from(response.body)
            }
            #expect(Set(rows.map(\.code)) == ["no_signature_matched", "missing_header"])
            #expect(rows.allSatisfy { $0.source == "xero" && $0.status == 401 })
        }
        try await gateway.processor.drain()
        // The check is kept like any delivery (once: the same bytes), and names nothing for the ledger.
        let stored = try await gateway.store.inbox.deliveries(matching: DeliveryQuery())
        #expect(stored.count == 1)
        #expect(stored.first?.status == .ignored)
        #expect(stored.first?.statusReason == "the notification names nothing the ledger uses")
    }

    /// A gateway (a new one, or one on `directory`'s store) whose Xero client talks to the fake on
    /// `port`, after it was sent `fixture` and processed; with the delivery that fixture became.
    static func processed(
        port: Int, fixture: String = "xero/invoice.update.json", tenants: [String] = [FakeXero.tenant], refreshToken: String = "refresh-0",
        directory: URL? = nil
    ) async throws -> (TestGateway, StoredDelivery) {
        let gateway = try TestGateway(
            secrets: ["xero": [webhookKey]], directory: directory,
            fetchers: { [client(port: port, store: $0, tenants: tenants, refreshToken: refreshToken)] })
        try await gateway.application.test(.live) { client in try await notify(client, fixture: fixture) }
        try await gateway.processor.drain()
        let newest = try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).max { $0.id.rawValue < $1.id.rawValue }
        return (gateway, try #require(newest))
    }

    @Test func anInvoiceNotificationIsFetchedForItsOrganisationWithAFreshTokenAndMapped() async throws {
        let fake = FakeXero()
        try await fake.application.test(.live) { fakeClient in
            let (gateway, delivery) = try await Self.processed(port: try #require(fakeClient.port))
            #expect(delivery.status == .processed, "\(delivery.statusReason ?? "")")
            let keys = try await gateway.store.inbox.businessEvents(of: delivery.id).map(\.event.businessKey)
            #expect(keys == [
                "xero:\(FakeXero.tenant):invoice:\(Self.invoiceID):payment:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d:paid",
                "xero:\(FakeXero.tenant):invoice:\(Self.invoiceID):payment:b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e:paid",
                "xero:\(FakeXero.tenant):credit:c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f:\(Self.invoiceID)",
            ])
            #expect(fake.state.withLock { $0.requests } == ["Invoices/\(Self.invoiceID) @ \(FakeXero.tenant)"])
            // Xero rotated the refresh token; the new one is kept for the next start.
            #expect(try await gateway.store.vendorState.oauthToken(named: "xero:\(FakeXero.clientID)")?.refreshToken == "refresh-1")
        }
    }

    @Test func aRestartUsesTheRotatedRefreshTokenFromTheStoreNotTheSpentOne() async throws {
        let fake = FakeXero()
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let (gateway, _) = try await Self.processed(port: port)
            // Same store, a new client still configured with the spent refresh-0, and a fresh
            // access token needed (Xero's last 30 minutes).
            fake.state.withLock { $0.tokens.validAccessToken = nil }
            let (restarted, delivery) = try await Self.processed(port: port, fixture: "xero/mixed.json", directory: gateway.directory)
            #expect(delivery.status == .processed, "\(delivery.statusReason ?? "")")
            #expect(fake.state.withLock { $0.tokens.refreshes } == 2)
            #expect(try await restarted.store.vendorState.oauthToken(named: "xero:\(FakeXero.clientID)")?.refreshToken == "refresh-2")
            #expect(fake.state.withLock { $0.requests }.last == "Contacts/7c2d9e4f-1a3b-4c5d-8e6f-9a0b1c2d3e4f @ \(FakeXero.tenant)")
        }
    }

    @Test func rateLimitedFetchesAreRetriedWithBackoff() async throws {
        let fake = FakeXero()
        fake.state.withLock { $0.rateLimitedRequests = 2 }
        try await fake.application.test(.live) { fakeClient in
            let (_, delivery) = try await Self.processed(port: try #require(fakeClient.port))
            #expect(delivery.status == .processed)
            #expect(fake.state.withLock { $0.requests }.count == 3)
        }
    }

    @Test func anOrganisationOutsideTheConnectionOrADeadRefreshTokenFailsWithTheReason() async throws {
        let fake = FakeXero()
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            var (_, delivery) = try await Self.processed(port: port, tenants: ["9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"])
            #expect(delivery.status == .failed)
            #expect(delivery.statusReason?.contains("no Xero connection for organisation \(FakeXero.tenant)") == true)
            #expect(fake.state.withLock { $0.requests }.isEmpty)

            (_, delivery) = try await Self.processed(port: port, refreshToken: "refresh-revoked")
            #expect(delivery.status == .failed)
            #expect(delivery.statusReason == "xero fetch: Xero token refresh failed: HTTP 400; reconnect the app and set GATEWAY_XERO_REFRESH_TOKEN")
            // The body is kept: once the operator reconnects, a replay fetches again.
            #expect(delivery.body == (try TestGateway.fixture("xero/invoice.update.json")))
        }
    }
}
