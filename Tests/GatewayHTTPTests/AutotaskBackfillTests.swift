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
import Logging
import Synchronization
import Testing

/// The Autotask backfill against a loopback fake of Autotask's REST `query`: paging through
/// `nextPageUrl`, the search it sends, what each stored delivery holds, a second run, the overlap
/// with the contract poller and with webhooks, and the API's refusals.
@Suite struct AutotaskBackfillTests {
    static let now = Events.date("2026-12-05")
    static let since = Events.date("2024-12-01")

    /// `record` with `changes` made.
    static func with(_ record: JSONValue, _ changes: [String: JSONValue]) -> JSONValue {
        guard case .object(var members) = record else { return record }
        for (key, value) in changes { members[key] = value }
        return .object(members)
    }

    /// A company as the REST API returns it (dates without a zone, as Autotask writes them).
    static func company(_ id: Int64, name: String, type: Int64 = 1, created: String) -> JSONValue {
        .object([
            "id": .integer(id), "companyName": .string(name), "companyType": .integer(type), "createDate": .string(created),
            "lastTrackedModifiedDateTime": .string(created + ".563"), "isActive": .bool(true), "ownerResourceID": .integer(29_682_885),
            "phone": .string("555-111-1111"), "webAddress": .string("www.\(name.lowercased().filter(\.isLetter)).example"),
        ])
    }

    /// 250 contracts starting one a day from 1 December 2024 (ids 7000…7249), one started the day
    /// before; three customer companies created since, a prospect, and a customer from before.
    static func tenant(_ fake: FakeAutotask) {
        let template = FakeAutotask.contracts[0]
        var contracts: [JSONValue] = []
        for day in 0..<250 {
            let start = since.addingTimeInterval(Double(day) * 86_400).formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
            contracts.append(
                with(template, ["id": .integer(Int64(7000 + day)), "startDate": .string(start), "companyID": .integer(Int64(29_700_000 + day % 3))]))
        }
        contracts.append(with(template, ["id": .integer(6999), "startDate": .string("2024-11-30T00:00:00.000Z")]))
        fake.state.withLock {
            $0.contracts = contracts
            $0.companies = [
                company(29_700_000, name: "Acme Dental LLC", created: "2024-12-01T09:00:00"),
                company(29_700_001, name: "Harbor Vets", created: "2025-02-10T10:30:00"),
                company(29_700_002, name: "Summit Legal", created: "2025-08-01T08:00:00"),
                company(29_700_003, name: "Prospect Co", type: 3, created: "2025-03-01T08:00:00"),
                company(29_600_000, name: "Old Client", created: "2023-05-01T08:00:00"),
            ]
            $0.pageLimit = 500
        }
    }

    static func credentials(_ port: Int, _ secret: String) -> AutotaskContractPoller.Credentials {
        AutotaskContractPoller.Credentials(
            apiBase: URL(string: "http://127.0.0.1:\(port)/atservicesrest")!, integrationCode: "INTEGRATION", userName: "api@msp.example",
            secret: Secret(secret))
    }

    static func backfill(_ store: any Repositories, port: Int, secret: String = "api-secret") -> AutotaskBackfill {
        AutotaskBackfill(
            credentials: credentials(port, secret), client: HTTPClient.shared, store: store,
            retry: RetryPolicy(attempts: 3, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50), rateLimitWaits: 10), pageSize: 100,
            now: { now })
    }

    static func deliveries(_ store: any Repositories) async throws -> [StoredDelivery] {
        try await store.inbox.deliveries(matching: DeliveryQuery(limit: 1_000))
    }

    /// Runs `body` with the fake served on a loopback port.
    static func serving(_ fake: FakeAutotask, _ body: @Sendable @escaping (Int) async throws -> Void) async throws {
        let port = Mutex(0)
        try await fake.application(port: { port.withLock { $0 } }).test(.live) { client in
            let actual = try #require(client.port)
            port.withLock { $0 = actual }
            try await body(actual)
        }
    }

    @Test func pagesThroughContractsAndCustomerCompaniesAndStoresEachOnceAsThePollerAndTheWebhookWould() async throws {
        let fake = FakeAutotask()
        Self.tenant(fake)
        try await Self.serving(fake) { port in
            let gateway = try TestGateway(now: { Self.now })
            let reports = Mutex<[BackfillProgress]>([])
            let summary = try await Self.backfill(gateway.store, port: port).run(since: Self.since) { progress in
                reports.withLock { $0.append(progress) }
            }
            #expect(summary.fetched == ["contracts": 250, "companies": 3])
            #expect(summary.stored == ["contracts": 250, "companies": 3])

            // Three pages of contracts (100, 100, 50) through nextPageUrl, then one of companies.
            #expect(fake.state.withLock { $0.requests } == ["query", "next", "next", "query"])
            let searches = fake.state.withLock { $0.searches }
            #expect(searches.map(\.entity) == ["Contracts", "Companies"])
            #expect(
                FakeAutotask.json(searches[0].search)
                    == #"{"filter":[{"field":"startDate","op":"gte","value":"2024-12-01T00:00:00Z"}],"maxRecords":100}"#)
            #expect(
                FakeAutotask.json(searches[1].search)
                    == #"{"filter":[{"field":"createDate","op":"gte","value":"2024-12-01T00:00:00Z"},{"field":"companyType","op":"eq","value":1}],"maxRecords":100}"#)
            let progress = reports.withLock { $0 }
            #expect(progress.map(\.fetched) == [100, 200, 250, 3])
            #expect(progress.map(\.list) == ["contracts", "contracts", "contracts", "companies"])
            #expect(progress.map(\.fractionDone) == [nil, nil, 1, 1])

            let stored = try await Self.deliveries(gateway.store)
            #expect(stored.count == 253)
            #expect(stored.allSatisfy { $0.verification.scheme == "backfill:autotask-api" && $0.status == .stored })
            let contract = try #require(stored.first { $0.vendorDeliveryID == "backfill:contract:7003" })
            #expect(contract.source == "autotask-contracts" && contract.eventType == "contract.created")
            let record = try #require(fake.state.withLock { $0.contracts.first { $0.value(at: FieldPath("id")) == .integer(7003) } })
            #expect(try JSONValue.parse(contract.body) == record)
            #expect(!stored.contains { $0.vendorDeliveryID == "backfill:contract:6999" })

            let company = try #require(stored.first { $0.vendorDeliveryID == "backfill:company:29700001" })
            #expect(company.source == "autotask" && company.eventType == "Company.Create")
            let webhook = try JSONValue.parse(company.body)
            #expect(webhook.value(at: FieldPath("EntityType")) == .string("Company"))
            #expect(webhook.value(at: FieldPath("Id")) == .integer(29_700_001))
            #expect(webhook.value(at: FieldPath("Fields.CompanyName")) == .string("Harbor Vets"))
            // Picklist values as Autotask's webhooks write them: strings.
            #expect(webhook.value(at: FieldPath("Fields.CompanyType")) == .string("1"))
            #expect(webhook.value(at: FieldPath("EventTime")) == .string("2025-02-10T10:30:00Z"))
            #expect(webhook.value(at: FieldPath("Record.webAddress")) == .string("www.harborvets.example"))
            #expect(!stored.contains { ["backfill:company:29700003", "backfill:company:29600000"].contains($0.vendorDeliveryID) })

            // A second run reads everything again and stores nothing.
            let again = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(again.totalStored == 0 && again.totalFetched == 253)
            #expect(try await Self.deliveries(gateway.store).count == 253)

            // Mapped by the adapters that map the poller's contracts and the company webhooks.
            try await gateway.processor.drain()
            #expect(try await gateway.store.inbox.deliveries(status: .processed, limit: 1_000).count == 253)
            guard case .agreementCreated(let agreement)? = try await gateway.store.inbox.businessEvents(of: contract.id).first?.event else {
                Issue.record("expected an agreement")
                return
            }
            #expect(agreement.agreementID == "7003" && agreement.customer == CustomerReference(source: "autotask", id: "29700000"))
            guard case .clientSigned(let signed)? = try await gateway.store.inbox.businessEvents(of: company.id).first?.event else {
                Issue.record("expected a signed client")
                return
            }
            #expect(signed.customer == CustomerReference(source: "autotask", id: "29700001", name: "Harbor Vets"))
            #expect(signed.signedAt == Events.date("2025-02-10T10:30:00Z"))
        }
    }

    @Test func contractsThePollerAndACompanyAWebhookAlreadyBroughtAccrueNothingTwice() async throws {
        let fake = FakeAutotask()
        // The fixture's contracts 5011 and 5013 are Acme Dental's (company 29683512).
        fake.state.withLock {
            $0.companies = [Self.company(29_683_512, name: "Acme Dental LLC", created: "2025-06-01T14:03:12")]
            $0.pageLimit = 500
        }
        let secret = Secret("fixture-autotask-secret-0001")
        try await Self.serving(fake) { port in
            let gateway = try TestGateway(secrets: ["autotask": [secret]], now: { Self.now })
            let partner = try await gateway.program.addPartner(PartnerInput(name: "Acme Accounting", kind: "center_of_influence"), at: Self.now)
            let plan = try await gateway.program.addPlan(
                PlanInput(
                    name: "Finder fee and a tenth of the first year",
                    terms: PlanTerms(rules: [.finderFee(Events.usd(250)), .firstYearValue(rate: BasisPoints(1000))], holdDays: 30)), at: Self.now)
            _ = try await gateway.program.addReferral(
                ReferralInput(
                    partnerID: partner.id.rawValue, planID: plan.id.rawValue, prospectName: "Acme Dental", vendorIDs: ["autotask": "29683512"],
                    introducedAt: "2025-05-20"), at: Self.now)

            // The poller brings the contracts, Autotask's webhook the company.
            let poller = AutotaskContractPoller(
                credentials: Self.credentials(port, "api-secret"), client: HTTPClient.shared, store: gateway.store, processor: nil,
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            #expect(try await poller.pollOnce(now: Self.now) == 3)
            try await gateway.application.test(.router) { client in
                let body = try TestGateway.fixture("autotask/company.create.json")
                var headers: HTTPFields = [.contentType: "application/json"]
                for (name, value) in gateway.adapters["autotask"]!.scheme.sign(body: body, secret: secret, at: Self.now) {
                    headers[HTTPField.Name(name)!] = value
                }
                try await client.execute(uri: "/webhooks/autotask", method: .post, headers: headers, body: ByteBuffer(bytes: body)) {
                    #expect($0.status == .ok)
                }
            }
            try await gateway.processor.drain()
            let before = try await gateway.store.ledger.allAccruals().map(\.line.amount)
            #expect(before == [Events.usd(250), Events.usd(1_798.80)])

            // The backfill reads the same three contracts and the same company.
            let summary = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(summary.stored == ["contracts": 3, "companies": 1])
            try await gateway.processor.drain()
            #expect(try await gateway.store.ledger.allAccruals().map(\.line.amount) == before)
            let backfilled = try await Self.deliveries(gateway.store).filter { $0.verification.scheme == "backfill:autotask-api" }
            #expect(backfilled.count == 4)
            for delivery in backfilled {
                #expect(delivery.status == .processed)
                let events = try await gateway.store.inbox.businessEvents(of: delivery.id)
                #expect(events.count == 1)
                for recorded in events {
                    #expect(recorded.explanation.hasPrefix("the same business effect as delivery"), "\(delivery.vendorDeliveryID): \(recorded.explanation)")
                }
            }
            let client = try #require(try await gateway.store.reports.clientRoster().client("vendor:autotask:29683512"))
            #expect(client.agreements.map(\.id).sorted() == ["autotask:5011", "autotask:5013"])
        }
    }

    @Test func aRateLimitIsWaitedOutForItsRetryAfterAndAnOutageRetried() async throws {
        let fake = FakeAutotask()
        Self.tenant(fake)
        fake.state.withLock { $0.failures = [.rateLimited(retryAfter: 1), .unavailable, .unavailable] }
        try await Self.serving(fake) { port in
            let gateway = try TestGateway(now: { Self.now })
            let started = ContinuousClock.now
            let summary = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(ContinuousClock.now - started >= .seconds(1))
            #expect(summary.totalStored == 253)
            // 4 pages, the first asked 3 more times.
            #expect(fake.state.withLock { $0.requests } == ["query", "query", "query", "query", "next", "next", "query"])
        }
    }

    @Test func anOutageThatOutlastsTheRetriesStopsTheRunSayingSo() async throws {
        let fake = FakeAutotask()
        Self.tenant(fake)
        fake.state.withLock { $0.failures = [.unavailable, .unavailable, .unavailable] }
        try await Self.serving(fake) { port in
            let gateway = try TestGateway(now: { Self.now })
            let failure = await #expect(throws: FetchFailure.self) { try await Self.backfill(gateway.store, port: port).run(since: Self.since) }
            #expect(failure?.reason == "Autotask answered HTTP 503: The database is being upgraded. (gave up after 3 attempts)")
            #expect(try await Self.deliveries(gateway.store).isEmpty)
        }
    }

    @Test func aRefusedUserStopsTheRunWithTheReasonAndTheNextRunResumesAfterTheLastStoredPage() async throws {
        let fake = FakeAutotask()
        Self.tenant(fake)
        fake.state.withLock { $0.unauthorizedAfterPages = 1 }
        try await Self.serving(fake) { port in
            let gateway = try TestGateway(now: { Self.now })
            let failure = await #expect(throws: FetchFailure.self) { try await Self.backfill(gateway.store, port: port).run(since: Self.since) }
            #expect(
                failure?.reason
                    == "Autotask answered HTTP 401: Invalid credentials (check GATEWAY_AUTOTASK_API_USERNAME, GATEWAY_AUTOTASK_API_SECRET and GATEWAY_AUTOTASK_API_INTEGRATION_CODE)"
            )
            #expect(failure?.transient == false)
            // The first page stayed stored; a 401 is not retried.
            #expect(try await Self.deliveries(gateway.store).count == 100)
            #expect(fake.state.withLock { $0.requests } == ["query", "next"])
            #expect(try await gateway.store.vendorState.pollerCursor(named: "backfill:autotask:contracts") == "since=1733011200 after=7099")

            fake.state.withLock {
                $0.unauthorizedAfterPages = nil
                $0.requests = []
                $0.searches = []
            }
            let resumed = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(resumed.stored == ["contracts": 150, "companies": 3])
            // The same query again, after the highest id stored.
            let first = try #require(fake.state.withLock { $0.searches.first?.search })
            #expect(first.value(at: FieldPath("filter.1")) == .object(["op": .string("gt"), "field": .string("id"), "value": .integer(7099)]))
            #expect(try await Self.deliveries(gateway.store).count == 253)
            // Finished: the next run starts over.
            #expect(try await gateway.store.vendorState.pollerCursor(named: "backfill:autotask:contracts") == "since=1733011200")
        }
    }

    @Test func wrongCredentialsFromTheStartStoreNothing() async throws {
        let fake = FakeAutotask()
        Self.tenant(fake)
        try await Self.serving(fake) { port in
            let gateway = try TestGateway(now: { Self.now })
            await #expect(throws: FetchFailure.self) { try await Self.backfill(gateway.store, port: port, secret: "wrong").run(since: Self.since) }
            #expect(try await Self.deliveries(gateway.store).isEmpty)
            #expect(fake.state.withLock { $0.requests } == ["query"])
        }
    }
}
