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

/// A loopback stand-in for Autotask's REST API: `POST /v1.0/Contracts/query` with an `id gt`
/// filter, two contracts a page with `pageDetails.nextPageUrl`, header authentication, and
/// Autotask's `{"errors": […]}` shape when told to fail.
final class FakeAutotask: Sendable {
    struct State {
        var failWith: Int? = nil
        var requests: [String] = []
        /// Contracts as they stand after a change, answered to a `lastModifiedDateTime gt` query.
        var changed: [JSONValue] = []
    }

    let state = Mutex(State())
    static let contracts: [JSONValue] = {
        guard case .array(let all) = try! JSONValue.parse(
            Data(contentsOf: TestGateway.root.appendingPathComponent("fixtures/autotask-contracts/api/contracts.json")))
        else { fatalError("contracts.json is an array") }
        return all
    }()

    func page(after cursor: Int64, offset: Int, port: Int) -> String {
        let matching = Self.contracts.filter { Int64($0.value(at: FieldPath("id"))!.scalarText!)! > cursor }
        let slice = Array(matching.dropFirst(offset).prefix(2))
        let next = offset + 2 < matching.count ? #""http://127.0.0.1:\#(port)/atservicesrest/v1.0/Contracts/query/next?cursor=\#(cursor)&offset=\#(offset + 2)""# : "null"
        let items = String(decoding: try! JSONEncoder().encode(slice), as: UTF8.self)
        return #"{"items":\#(items),"pageDetails":{"count":\#(slice.count),"requestCount":2,"prevPageUrl":null,"nextPageUrl":\#(next)}}"#
    }

    func application(port: @escaping @Sendable () -> Int) -> some ApplicationProtocol {
        let router = Router()
        let check: @Sendable (Request, String) -> Response? = { request, label in
            self.state.withLock { $0.requests.append(label) }
            guard request.headers[HTTPField.Name("ApiIntegrationCode")!] == "INTEGRATION", request.headers[HTTPField.Name("UserName")!] == "api@msp.example",
                request.headers[HTTPField.Name("Secret")!] == "api-secret"
            else {
                return Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: #"{"errors":[{"message":"Invalid credentials"}]}"#)))
            }
            if let status = self.state.withLock({ $0.failWith }) {
                return Response(
                    status: HTTPResponse.Status(code: status),
                    body: .init(byteBuffer: ByteBuffer(string: #"{"errors":[{"message":"The database is being upgraded."}]}"#)))
            }
            return nil
        }
        router.post("/atservicesrest/v1.0/Contracts/query") { request, _ -> Response in
            var request = request
            let body = try JSONValue.parse(Data(try await request.collectBody(upTo: 4096).readableBytesView))
            if let refused = check(request, "query") { return refused }
            if body.value(at: FieldPath("filter.0.field"))?.scalarText == "lastModifiedDateTime" {
                let since = body.value(at: FieldPath("filter.0.value"))?.scalarText ?? ""
                let items = self.state.withLock { $0.changed }.filter { ($0.value(at: FieldPath("lastModifiedDateTime"))?.scalarText ?? "") > since }
                let text = String(decoding: try JSONEncoder().encode(items), as: UTF8.self)
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: #"{"items":\#(text),"pageDetails":{"count":\#(items.count),"requestCount":500,"prevPageUrl":null,"nextPageUrl":null}}"#)))
            }
            let cursor = Int64(body.value(at: FieldPath("filter.0.value"))?.scalarText ?? "0") ?? 0
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: self.page(after: cursor, offset: 0, port: port()))))
        }
        router.get("/atservicesrest/v1.0/Contracts/query/next") { request, _ -> Response in
            if let refused = check(request, "next") { return refused }
            let cursor = Int64(request.uri.queryParameters.get("cursor") ?? "0") ?? 0
            let offset = request.uri.queryParameters.get("offset", as: Int.self) ?? 0
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: self.page(after: cursor, offset: offset, port: port()))))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }
}

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
                #expect(error.reason == "Autotask answered HTTP 503: The database is being upgraded.")
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
                #expect(error.reason == "Autotask answered HTTP 401: Invalid credentials")
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
