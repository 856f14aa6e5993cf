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
import Logging
import Synchronization
import Testing

@Suite struct AutotaskContractPollerTests {
    func poller(port: Int, gateway: TestGateway, secret: String = "api-secret", changesField: String? = nil) -> AutotaskContractPoller {
        AutotaskContractPoller(
            credentials: .init(
                apiBase: URL(string: "http://127.0.0.1:\(port)/atservicesrest")!, integrationCode: "INTEGRATION", userName: "api@msp.example",
                secret: Secret(secret), changesField: changesField),
            client: HTTPClient.shared, store: gateway.store, processor: nil,
            retry: RetryPolicy(attempts: 2, baseDelay: .milliseconds(5), maxDelay: .milliseconds(10)),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test func contractsArePolledPageByPageIntoTheInboxAndTheCursorMoves() async throws {
        let fake = FakeAutotask()
        let port = Mutex(0)
        try await fake.application(port: { port.withLock { $0 } }).test(.live) { client in
            port.withLock { $0 = client.port! }
            let gateway = try TestGateway()
            let poller = poller(port: client.port!, gateway: gateway)

            #expect(try await poller.pollOnce() == 3)
            #expect(fake.state.withLock { $0.requests } == ["query", "next"])
            #expect(try await gateway.store.vendorState.pollerCursor(named: "autotask-contracts") == "5013")
            let stored = try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).map(\.vendorDeliveryID).sorted()
            #expect(stored == ["5011", "5012", "5013"])

            // Nothing new above the cursor: the next poll stores nothing.
            #expect(try await poller.pollOnce() == 0)

            // The polled contracts are processed like webhooks: agreements for Autotask companies.
            try await gateway.processor.drain()
            let processed = try await gateway.store.inbox.deliveries(status: .processed)
            #expect(processed.count == 3)
            let event = try await gateway.store.inbox.businessEvents(of: processed.last!.id).first?.event
            guard case .agreementCreated(let agreement) = event else {
                Issue.record("expected an agreement, got \(String(describing: event))")
                return
            }
            #expect(agreement.customer.source == "autotask")
            #expect(agreement.recurringAmount == Money(minorUnits: 149_900, currency: CurrencyCode("USD")!))
        }
    }

    @Test func aContractChangedAfterTheFirstPollReachesRunningMRR() async throws {
        let fake = FakeAutotask()
        let port = Mutex(0)
        try await fake.application(port: { port.withLock { $0 } }).test(.live) { client in
            port.withLock { $0 = client.port! }
            let gateway = try TestGateway()
            let poller = poller(port: client.port!, gateway: gateway, changesField: "lastModifiedDateTime")
            // The first poll stores the contracts and starts watching for changes from now.
            #expect(try await poller.pollOnce(now: Events.date("2025-11-01")) == 3)
            #expect(try await gateway.store.vendorState.pollerCursor(named: "autotask-contract-changes") == "2025-11-01T00:00:00Z")

            // Contract 5011 is raised from 1,499 to 1,999 on 1 December.
            let raised = try JSONValue.parse(TestGateway.fixture("autotask-contract-changes/contract.changed.json"))
            fake.state.withLock { $0.changed = [raised] }
            #expect(try await poller.pollOnce(now: Events.date("2025-12-02")) == 1)
            #expect(try await poller.pollOnce(now: Events.date("2025-12-03")) == 0)
            let changes = try await gateway.store.inbox.deliveries(matching: DeliveryQuery(source: "autotask-contract-changes"))
            #expect(changes.map(\.vendorDeliveryID) == ["5011@2025-12-01T00:00:00.000Z"])

            try await gateway.processor.drain()
            let company = try #require(try await gateway.store.reports.clientRoster().client("vendor:autotask:29683512"))
            let contract = try #require(company.agreements.first { $0.id == "autotask:5011" })
            #expect(contract.monthly(on: Events.date("2025-11-30")) == Money(minorUnits: 149_900, currency: Events.usd))
            #expect(contract.monthly(on: Events.date("2025-12-01")) == Money(minorUnits: 199_900, currency: Events.usd))
            // The company's other contract runs on beside it: on 1 December its MRR moves by the 500.
            let december = company.mrrChanges.last
            #expect(december?.on == Events.date("2025-12-01"))
            #expect(december.map { $0.after.minorUnits - $0.before.minorUnits } == 50_000)
        }
    }

    @Test func anErrorResponseStoresNothingKeepsTheCursorAndSaysWhy() async throws {
        let fake = FakeAutotask()
        fake.state.withLock { $0.failWith = 503 }
        let port = Mutex(0)
        try await fake.application(port: { port.withLock { $0 } }).test(.live) { client in
            port.withLock { $0 = client.port! }
            let gateway = try TestGateway()
            let poller = poller(port: client.port!, gateway: gateway)
            do throws(FetchFailure) {
                try await poller.pollOnce()
                Issue.record("expected the poll to fail")
            } catch {
                #expect(error.reason == "Autotask answered HTTP 503: The database is being upgraded. (gave up after 2 attempts)")
                #expect(error.transient)
            }
            // Retried once with backoff, then given up until the next interval.
            #expect(fake.state.withLock { $0.requests } == ["query", "query"])
            #expect(try await gateway.store.vendorState.pollerCursor(named: "autotask-contracts") == nil)
            #expect(try await gateway.store.inbox.deliveries(matching: DeliveryQuery()).isEmpty)

            fake.state.withLock { $0.failWith = nil }
            #expect(try await poller.pollOnce() == 3)
        }
    }

    @Test func wrongCredentialsAreAPermanentFailureWithAutotasksMessage() async throws {
        let fake = FakeAutotask()
        let port = Mutex(0)
        try await fake.application(port: { port.withLock { $0 } }).test(.live) { client in
            port.withLock { $0 = client.port! }
            let gateway = try TestGateway()
            do throws(FetchFailure) {
                try await poller(port: client.port!, gateway: gateway, secret: "wrong").pollOnce()
                Issue.record("expected the poll to fail")
            } catch {
                #expect(
                    error.reason
                        == "Autotask answered HTTP 401: Invalid credentials (check GATEWAY_AUTOTASK_API_USERNAME, GATEWAY_AUTOTASK_API_SECRET and GATEWAY_AUTOTASK_API_INTEGRATION_CODE)")
                #expect(!error.transient)
            }
            #expect(fake.state.withLock { $0.requests }.count == 1)
        }
    }

    @Test func thePolledSourceTakesNoWebhooks() async throws {
        let gateway = try TestGateway()
        try await gateway.application.test(.live) { client in
            try await client.execute(uri: "/webhooks/autotask-contracts", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("not_a_webhook_source"))
            }
        }
    }
}
