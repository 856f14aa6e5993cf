import Foundation
import GatewayAdapters
import GatewayCore
import Testing

/// Fixtures of every source, and Stripe's mapping in detail.
@Suite struct MappingTests {
    static let catalog = try! AdapterCatalog.load(directory: Repository.adapters)
    static let stripeFixtures = try! FixtureCheck.fixtures(in: Repository.fixtures.appendingPathComponent("stripe"))
    /// Every fixture of every source, as `fixtures/<source>/<name>.json`.
    static let allFixtures = try! FileManager.default.contentsOfDirectory(atPath: Repository.fixtures.path).sorted().flatMap { source in
        try! FixtureCheck.fixtures(in: Repository.fixtures.appendingPathComponent(source))
    }

    @Test(arguments: allFixtures)
    func everyFixtureMapsToItsExpectedEvents(_ fixture: URL) throws {
        let source = fixture.deletingLastPathComponent().lastPathComponent
        let adapter = try #require(Self.catalog[source], "no adapter for fixtures/\(source)")
        let result = try FixtureCheck.run(fixture, with: adapter)
        let expected = try #require(result.expected, "no \(fixture.lastPathComponent) expectation beside the fixture")
        #expect(result.actual == expected)
    }

    @Test func everySourceHasFixtures() {
        let sources = Set(Self.allFixtures.map { $0.deletingLastPathComponent().lastPathComponent })
        #expect(sources == Set(Self.catalog.sources))
    }

    @Test func bothAPIGenerationsAndBothEventTypesAreCovered() {
        let names = Set(Self.stripeFixtures.map(\.lastPathComponent))
        #expect(names.isSuperset(of: ["invoice.paid.json", "invoice.paid.pre-basil.json", "invoice.payment_succeeded.json"]))
    }

    @Test func paidAndPaymentSucceededShareOneBusinessKey() throws {
        let adapter = try #require(Self.catalog["stripe"])
        let directory = Repository.fixtures.appendingPathComponent("stripe")
        let paid = try adapter.map(Data(contentsOf: directory.appendingPathComponent("invoice.paid.json")))
        let succeeded = try adapter.map(Data(contentsOf: directory.appendingPathComponent("invoice.payment_succeeded.json")))
        guard case .mapped(let a) = paid, case .mapped(let b) = succeeded else {
            Issue.record("both should map")
            return
        }
        #expect(a.map(\.businessKey) == b.map(\.businessKey))
        #expect(a.first?.businessKey == "stripe:-:invoice:in_1RZq3HKx7aQ2mN0pXf4sLk2Q:paid")
    }

    func mapping(_ json: String) throws(MappingError) -> MappingOutcome {
        try Self.catalog["stripe"]!.map(Data(json.utf8))
    }

    @Test func aMalformedBodyOrAMissingFieldFailsWithTheReason() {
        #expect(throws: MappingError.self) { try mapping("{not json") }
        do {
            _ = try mapping(#"{"id":"evt_1","object":"event","type":"invoice.paid","created":1,"data":{"object":{"id":"in_1","currency":"usd","amount_paid":100}}}"#)
            Issue.record("expected a missing customer")
        } catch {
            #expect(error.code == .missingField)
            #expect(error.message.contains("customer_id"))
            #expect(error.message.contains("data.object.customer"))
        }
        do {
            _ = try mapping(#"{"id":"evt_1","object":"event","type":"invoice.paid","created":1,"data":{"object":{"id":"in_1","customer":"cus_1","currency":"usd","amount_paid":"100"}}}"#)
            Issue.record("expected an invalid amount")
        } catch {
            #expect(error.code == .invalidField)
            #expect(error.message.contains("amount"))
        }
    }

    @Test func thinEventsAreIgnoredExplicitly() throws {
        let outcome = try mapping(#"{"id":"evt_1","object":"v2.core.event","type":"v1.billing.meter.error_report_triggered"}"#)
        guard case .ignored(let reason) = outcome else {
            Issue.record("expected ignored, got \(outcome)")
            return
        }
        #expect(reason.contains("thin"))
    }

    @Test func anExpandedCustomerObjectYieldsItsID() throws {
        let outcome = try mapping(
            #"{"id":"evt_1","object":"event","type":"invoice.paid","created":1748736005,"data":{"object":{"id":"in_1","customer":{"id":"cus_9","object":"customer"},"currency":"usd","amount_paid":2500}}}"#)
        guard case .mapped(let events) = outcome, case .invoicePaid(let paid) = events.first else {
            Issue.record("expected a mapped invoice, got \(outcome)")
            return
        }
        #expect(paid.customer.id == "cus_9")
        #expect(paid.amountPaid == Money(minorUnits: 2500, currency: CurrencyCode("USD")!))
        #expect(paid.paidAt == Date(timeIntervalSince1970: 1_748_736_005))
    }
}
