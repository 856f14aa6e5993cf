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

/// The ConnectWise backfill against a loopback fake of the PSA's REST API: paging by `page`, the
/// conditions it sends, what each stored callback holds, a second run, the overlap with
/// callbacks, and the API's refusals.
@Suite struct ConnectWiseBackfillTests {
    static let now = Events.date("2026-12-05")
    static let since = Events.date("2024-12-01")

    /// The agreement of a callback fixture, as the REST API returns it.
    static func entity(_ fixture: String) throws -> JSONValue {
        let callback = try JSONValue.parse(TestGateway.fixture(fixture))
        return try JSONValue.parse(Data(try #require(callback.value(at: FieldPath("Entity"))?.scalarText).utf8))
    }

    static func with(_ record: JSONValue, _ changes: [String: JSONValue]) -> JSONValue {
        guard case .object(var members) = record else { return record }
        for (key, value) in changes { members[key] = value }
        return .object(members)
    }

    static func info(_ date: Date) -> JSONValue { .object(["lastUpdated": .string(date.formatted(.iso8601)), "updatedBy": .string("jdoe")]) }

    /// 250 agreements updated one a day from 1 December 2024 (ids 8000…8249) for companies 250 to
    /// 252, two of them cancelled; one updated the day before; three companies updated since and
    /// one before.
    static func psa(_ fake: FakeConnectWise) throws {
        let template = try entity("connectwise/agreement.added.json")
        var agreements: [JSONValue] = []
        for day in 0..<250 {
            let updated = since.addingTimeInterval(Double(day) * 86_400 + 36_000)
            var changes: [String: JSONValue] = [
                "id": .integer(Int64(8000 + day)), "_info": info(updated), "startDate": .string(updated.formatted(.iso8601)),
                "company": .object(["id": .integer(Int64(250 + day % 3)), "identifier": .string("C\(250 + day % 3)"), "name": .string("Client \(250 + day % 3)")]),
            ]
            if [40, 180].contains(day) {
                changes["cancelledFlag"] = .bool(true)
                changes["dateCancelled"] = .string(updated.addingTimeInterval(30 * 86_400).formatted(.iso8601))
            }
            agreements.append(with(template, changes))
        }
        agreements.append(with(template, ["id": .integer(7999), "_info": info(since.addingTimeInterval(-3_600))]))
        let company = try entity("connectwise/company.added.json")
        let companies = [250, 251, 252].map { id in
            with(company, ["id": .integer(Int64(id)), "name": .string("Client \(id)"), "website": .string("https://www.client\(id).example/"), "_info": info(since.addingTimeInterval(Double(id - 249) * 86_400))])
        } + [with(company, ["id": .integer(249), "_info": info(since.addingTimeInterval(-86_400))])]
        fake.state.withLock {
            $0.agreements = agreements
            $0.companies = companies
        }
    }

    static func credentials(_ port: Int, privateKey: String = FakeConnectWise.privateKey) -> ConnectWiseClient.Credentials {
        ConnectWiseClient.Credentials(
            apiBase: URL(string: "http://127.0.0.1:\(port)\(FakeConnectWise.root)")!, companyID: FakeConnectWise.companyID,
            publicKey: Secret(FakeConnectWise.publicKey), privateKey: Secret(privateKey), clientID: FakeConnectWise.clientID)
    }

    static func backfill(_ store: any Repositories, port: Int, privateKey: String = FakeConnectWise.privateKey) -> ConnectWiseBackfill {
        ConnectWiseBackfill(
            client: ConnectWiseClient(credentials: credentials(port, privateKey: privateKey), client: HTTPClient.shared), store: store,
            retry: RetryPolicy(attempts: 3, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50), rateLimitWaits: 10), pageSize: 100,
            now: { now })
    }

    static func deliveries(_ store: any Repositories) async throws -> [StoredDelivery] {
        try await store.inbox.deliveries(matching: DeliveryQuery(limit: 1_000))
    }

    static let agreementsPage = "\(FakeConnectWise.root)/finance/agreements?conditions=lastUpdated>=[2024-12-01T00:00:00Z]&orderBy=id asc&page="

    @Test func pagesThroughAgreementsAndCompaniesStoringEachAsTheCallbackWouldCarryIt() async throws {
        let fake = FakeConnectWise()
        try Self.psa(fake)
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try TestGateway(now: { Self.now })
            let reports = Mutex<[BackfillProgress]>([])
            let summary = try await Self.backfill(gateway.store, port: port).run(since: Self.since) { progress in
                reports.withLock { $0.append(progress) }
            }
            #expect(summary.fetched == ["agreements": 250, "companies": 3])
            // The two cancelled agreements are also stored as the update that cancels them.
            #expect(summary.stored == ["agreements": 252, "companies": 3])
            #expect(fake.state.withLock { $0.requests } == [
                Self.agreementsPage + "1&pageSize=100", Self.agreementsPage + "2&pageSize=100", Self.agreementsPage + "3&pageSize=100",
                "\(FakeConnectWise.root)/company/companies?conditions=lastUpdated>=[2024-12-01T00:00:00Z]&orderBy=id asc&page=1&pageSize=100",
            ])
            #expect(reports.withLock { $0.map(\.fetched) } == [100, 200, 250, 3])

            let stored = try await Self.deliveries(gateway.store)
            #expect(stored.count == 255)
            #expect(stored.allSatisfy { $0.source == "connectwise" && $0.verification.scheme == "backfill:connectwise-api" })
            let added = try #require(stored.first { $0.vendorDeliveryID == "backfill:agreement:8003:added" })
            #expect(added.eventType == "agreement.added")
            let callback = try JSONValue.parse(added.body)
            #expect(callback.value(at: FieldPath("CompanyId")) == .string("acmemsp"))
            #expect(callback.value(at: FieldPath("Type")) == .string("agreement") && callback.value(at: FieldPath("ID")) == .integer(8003))
            #expect(callback.value(at: FieldPath("MessageId")) == .string("backfill:agreement:8003:added"))
            // Entity is the record as a JSON string, as ConnectWise's callbacks carry it.
            let record = try #require(fake.state.withLock { $0.agreements.first { $0.value(at: FieldPath("id")) == .integer(8003) } })
            #expect(try JSONValue.parse(Data((callback.value(at: FieldPath("Entity"))?.scalarText ?? "").utf8)) == record)
            #expect(stored.contains { $0.vendorDeliveryID == "backfill:agreement:8040:cancelled" && $0.eventType == "agreement.updated" })
            #expect(stored.contains { $0.vendorDeliveryID == "backfill:company:251:added" && $0.eventType == "company.added" })
            #expect(!stored.contains { ["backfill:agreement:7999:added", "backfill:company:249:added"].contains($0.vendorDeliveryID) })

            let again = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(again.totalStored == 0 && again.totalFetched == 253)

            try await gateway.processor.drain()
            #expect(try await gateway.store.inbox.deliveries(status: .processed, limit: 1_000).count == 255)
            guard case .agreementCreated(let agreement)? = try await gateway.store.inbox.businessEvents(of: added.id).first?.event else {
                Issue.record("expected an agreement")
                return
            }
            #expect(agreement.account == "acmemsp" && agreement.agreementID == "8003" && agreement.customer.id == "250")
            #expect(agreement.recurringAmount == Events.usd(1_499))
            let cancelled = try #require(stored.first { $0.vendorDeliveryID == "backfill:agreement:8180:cancelled" })
            guard case .agreementCancelled(let end)? = try await gateway.store.inbox.businessEvents(of: cancelled.id).first?.event else {
                Issue.record("expected a cancellation")
                return
            }
            #expect(end.agreementID == "8180" && end.endDate == Self.since.addingTimeInterval(210 * 86_400 + 36_000))
            let company = try #require(stored.first { $0.vendorDeliveryID == "backfill:company:251:added" })
            #expect(try await gateway.store.inbox.businessEvents(of: company.id).first?.event.customer?.domain == "client251.example")
        }
    }

    @Test func anAgreementAndACompanyCallbacksAlreadyBroughtCountOnce() async throws {
        let fake = FakeConnectWise()
        // ConnectWise's record of agreement 4711 as it stands: cancelled.
        let cancelled = try Self.entity("connectwise/agreement.updated.cancelled.json")
        let company = try Self.entity("connectwise/company.added.json")
        fake.state.withLock {
            $0.agreements = [cancelled]
            $0.companies = [Self.with(company, ["_info": Self.info(Events.date("2025-05-28T16:20:00Z"))])]
        }
        let key = Secret("fixture-cw-signing-key-0001")
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try TestGateway(secrets: ["connectwise": [key]], now: { Self.now })
            let partner = try await gateway.program.addPartner(PartnerInput(name: "Acme Accounting", kind: "center_of_influence"), at: Self.now)
            let plan = try await gateway.program.addPlan(
                PlanInput(
                    name: "Finder fee and a tenth of the first year",
                    terms: PlanTerms(rules: [.finderFee(Events.usd(250)), .firstYearValue(rate: BasisPoints(1000))], holdDays: 30)), at: Self.now)
            _ = try await gateway.program.addReferral(
                ReferralInput(
                    partnerID: partner.id.rawValue, planID: plan.id.rawValue, prospectName: "Acme Dental", vendorIDs: ["connectwise": "250"],
                    introducedAt: "2025-05-20"), at: Self.now)
            try await gateway.application.test(.router) { client in
                for fixture in ["company.added", "agreement.added", "agreement.updated.cancelled"] {
                    let body = try TestGateway.fixture("connectwise/\(fixture).json")
                    var headers: HTTPFields = [.contentType: "application/json"]
                    headers[HTTPField.Name("x-content-signature")!] = ConnectWiseSignatureScheme().sign(body: body, secret: key, at: Self.now).first!.value
                    try await client.execute(uri: "/webhooks/connectwise", method: .post, headers: headers, body: ByteBuffer(bytes: body)) {
                        #expect($0.status == .ok)
                    }
                }
            }
            try await gateway.processor.drain()
            let before = try await gateway.store.ledger.allAccruals().map { "\($0.line.amount) \($0.state)" }
            #expect(before.count == 2)
            let contractsBefore = try await gateway.store.ledger.contracts()

            let summary = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(summary.stored == ["agreements": 2, "companies": 1])
            try await gateway.processor.drain()
            #expect(try await gateway.store.ledger.allAccruals().map { "\($0.line.amount) \($0.state)" } == before)
            #expect(try await gateway.store.ledger.contracts() == contractsBefore)
            let backfilled = try await Self.deliveries(gateway.store).filter { $0.verification.scheme == "backfill:connectwise-api" }
            #expect(backfilled.map(\.vendorDeliveryID).sorted() == ["backfill:agreement:4711:added", "backfill:agreement:4711:cancelled", "backfill:company:250:added"])
            for delivery in backfilled {
                let events = try await gateway.store.inbox.businessEvents(of: delivery.id)
                #expect(events.count == 1)
                #expect(events.allSatisfy { $0.explanation.hasPrefix("the same business effect as delivery") }, "\(delivery.vendorDeliveryID): \(events.map(\.explanation))")
            }
        }
    }

    @Test func aRateLimitIsWaitedOutForItsRetryAfterAndAnOutageRetried() async throws {
        let fake = FakeConnectWise()
        try Self.psa(fake)
        fake.state.withLock { $0.failures = [.rateLimited(retryAfter: 1), .unavailable, .unavailable] }
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try TestGateway(now: { Self.now })
            let started = ContinuousClock.now
            let summary = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(ContinuousClock.now - started >= .seconds(1))
            #expect(summary.totalStored == 255)
            // 4 pages, the first asked 3 more times.
            #expect(fake.state.withLock { $0.requests.count } == 7)
        }
    }

    @Test func anOutageThatOutlastsTheRetriesStopsTheRunSayingSo() async throws {
        let fake = FakeConnectWise()
        try Self.psa(fake)
        fake.state.withLock { $0.failures = [.unavailable, .unavailable, .unavailable] }
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try TestGateway(now: { Self.now })
            let failure = await #expect(throws: FetchFailure.self) { try await Self.backfill(gateway.store, port: port).run(since: Self.since) }
            #expect(failure?.reason == "ConnectWise could not serve the agreements list: HTTP 503: The service is unavailable (gave up after 3 attempts)")
            #expect(try await Self.deliveries(gateway.store).isEmpty)
        }
    }

    @Test func aRefusedKeyStopsTheRunWithTheReasonAndTheNextRunResumesAtTheNextPage() async throws {
        let fake = FakeConnectWise()
        try Self.psa(fake)
        fake.state.withLock { $0.unauthorizedAfterPages = 1 }
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try TestGateway(now: { Self.now })
            let failure = await #expect(throws: FetchFailure.self) { try await Self.backfill(gateway.store, port: port).run(since: Self.since) }
            #expect(
                failure?.reason
                    == "ConnectWise refused the credentials for the agreements list: HTTP 401: Invalid API key or member credentials (check GATEWAY_CONNECTWISE_API_COMPANY_ID, GATEWAY_CONNECTWISE_API_PUBLIC_KEY, GATEWAY_CONNECTWISE_API_PRIVATE_KEY and GATEWAY_CONNECTWISE_API_CLIENT_ID)"
            )
            #expect(failure?.transient == false)
            // The first page stayed stored (100 agreements, one cancelled); a 401 is not retried.
            #expect(try await Self.deliveries(gateway.store).count == 101)
            #expect(fake.state.withLock { $0.requests.count } == 2)
            #expect(try await gateway.store.vendorState.pollerCursor(named: "backfill:connectwise:agreements") == "since=1733011200 after=2")

            fake.state.withLock {
                $0.unauthorizedAfterPages = nil
                $0.requests = []
            }
            let resumed = try await Self.backfill(gateway.store, port: port).run(since: Self.since)
            #expect(resumed.fetched == ["agreements": 150, "companies": 3])
            #expect(resumed.stored == ["agreements": 151, "companies": 3])
            #expect(fake.state.withLock { $0.requests.first } == Self.agreementsPage + "2&pageSize=100")
            #expect(try await Self.deliveries(gateway.store).count == 255)
        }
    }

    @Test func wrongKeysFromTheStartStoreNothing() async throws {
        let fake = FakeConnectWise()
        try Self.psa(fake)
        try await fake.application.test(.live) { fakeClient in
            let port = try #require(fakeClient.port)
            let gateway = try TestGateway(now: { Self.now })
            await #expect(throws: FetchFailure.self) { try await Self.backfill(gateway.store, port: port, privateKey: "wrong").run(since: Self.since) }
            #expect(try await Self.deliveries(gateway.store).isEmpty)
            #expect(fake.state.withLock { $0.requests.count } == 1)
        }
    }
}
