import Foundation
import GatewayAdapters
import GatewayCore
import Testing

@Suite struct QuickBooksConnectorTests {
    let adapter = try! #require(try AdapterCatalog.load(directory: Repository.adapters)["quickbooks"])
    let realm = "9341454977738491"
    let usd = CurrencyCode("USD")!

    func api(_ name: String) throws -> JSONValue {
        try JSONValue.parse(Data(contentsOf: Repository.fixtures.appendingPathComponent("quickbooks/api/\(name).json")))
    }

    func request(_ entity: String, _ id: String, _ operation: String, at date: Date? = nil) -> EnrichmentRequest {
        EnrichmentRequest(connector: "quickbooks", account: realm, entity: entity, id: id, operation: operation, occurredAt: date)
    }

    @Test func aNotificationCarryingWhatWasFetchedMapsWithoutAFetchAndOneMissingItAsksForIt() throws {
        let notification = try JSONValue.parse(Data(contentsOf: Repository.fixtures.appendingPathComponent("quickbooks/payment.create.legacy.json")))
        guard case .object(var members) = notification, case .object(let payment) = try api("payment.217") else {
            Issue.record("fixtures are objects")
            return
        }
        members["fetched"] = .array([.object(["entity": .object(["Payment": payment["Payment"]!]), "customer": try api("customer.58")])])
        let carried = try JSONEncoder().encode(JSONValue.object(members))
        guard case .mapped(let events) = try adapter.map(carried) else {
            Issue.record("expected events without a fetch")
            return
        }
        #expect(events.map(\.businessKey) == [
            "quickbooks:\(realm):invoice:145:payment:217:paid", "quickbooks:\(realm):invoice:146:payment:217:paid",
        ])
        #expect(events.first?.customer?.domain == "brightdental.example")

        // Another payment's record does not stand in for this one: it is fetched.
        members["fetched"] = .array([.object(["entity": .object(["Payment": .object(["Id": .string("999")])]), "customer": .null])])
        guard case .needsEnrichment(let requests) = try adapter.map(try JSONEncoder().encode(JSONValue.object(members))) else {
            Issue.record("expected a fetch")
            return
        }
        #expect(requests == [request("Payment", "217", "Create", at: try Date("2025-06-01T14:03:12Z", strategy: .iso8601))])
    }

    @Test func aPaymentIsInvoicePaidOncePerInvoiceWithTheAmountAppliedToIt() throws {
        let fetched = FetchedEntity(request: request("Payment", "217", "Create"), entity: try api("payment.217"), customer: try api("customer.58"))
        guard case .mapped(let events) = try adapter.complete([fetched]) else {
            Issue.record("expected events")
            return
        }
        let customer = CustomerReference(
            source: "quickbooks", id: "58", email: "ap@brightdental.example", domain: "brightdental.example", name: "Bright Dental PC")
        let paidAt = try Date("2025-06-01T00:00:00Z", strategy: .iso8601)
        #expect(
            events == [
                .invoicePaid(
                    InvoicePaid(
                        account: realm, invoiceID: "145", paymentID: "217", customer: customer,
                        amountPaid: Money(minorUnits: 49_900, currency: usd), paidAt: paidAt)),
                .invoicePaid(
                    InvoicePaid(
                        account: realm, invoiceID: "146", paymentID: "217", customer: customer,
                        amountPaid: Money(minorUnits: 24_950, currency: usd), paidAt: paidAt)),
            ])
        #expect(events.map(\.businessKey) == [
            "quickbooks:\(realm):invoice:145:payment:217:paid", "quickbooks:\(realm):invoice:146:payment:217:paid",
        ])
    }

    @Test func voidsCreditsAndDeletionsMapToWhatTheyMean() throws {
        let voidedAt = Date(timeIntervalSince1970: 1_750_410_000)
        let voided = try adapter.complete([
            FetchedEntity(request: request("Invoice", "146", "Void", at: voidedAt), entity: try api("invoice.146"), customer: try api("customer.58"))
        ])
        guard case .mapped(let voidEvents) = voided, case .invoiceVoided(let void) = voidEvents.first else {
            Issue.record("expected invoice voided, got \(voided)")
            return
        }
        #expect(void.invoiceID == "146")
        #expect(void.voidedAt == voidedAt)

        let credit = try adapter.complete([FetchedEntity(request: request("CreditMemo", "301", "Create"), entity: try api("creditmemo.301"))])
        guard case .mapped(let creditEvents) = credit, case .creditIssued(let issued) = creditEvents.first else {
            Issue.record("expected credit issued, got \(credit)")
            return
        }
        #expect(issued.amount == Money(minorUnits: 10_000, currency: usd))
        #expect(issued.creditID == "CreditMemo:301")
        #expect(issued.customer.id == "58")

        let deleted = try adapter.complete([FetchedEntity(request: request("Payment", "217", "Delete"), entity: nil)])
        #expect(deleted == .ignored(reason: "Payment 217 was deleted; QuickBooks serves no deleted records to map"))
    }

    @Test func amountsAreConvertedExactlyOrRefused() throws {
        func payment(_ amount: String) throws -> JSONValue {
            try JSONValue.parse(
                Data(#"{"Payment":{"Id":"9","TxnDate":"2025-06-01","CurrencyRef":{"value":"JPY"},"CustomerRef":{"value":"1"},"Line":[{"Amount":\#(amount),"LinkedTxn":[{"TxnId":"5","TxnType":"Invoice"}]}]}}"#.utf8))
        }
        let yen = try adapter.complete([FetchedEntity(request: request("Payment", "9", "Create"), entity: try payment("120000"))])
        guard case .mapped(let events) = yen, case .invoicePaid(let paid) = events.first else {
            Issue.record("expected a payment")
            return
        }
        #expect(paid.amountPaid == Money(minorUnits: 120_000, currency: CurrencyCode("JPY")!))
        #expect(throws: MappingError.self) {
            try adapter.complete([FetchedEntity(request: request("Payment", "9", "Create"), entity: try payment("0.5"))])
        }
    }

    @Test func anUnappliedPaymentIsIgnoredWithTheReason() throws {
        let unapplied = try JSONValue.parse(
            Data(#"{"Payment":{"Id":"10","TxnDate":"2025-06-01","TotalAmt":50.00,"UnappliedAmt":50.00,"CustomerRef":{"value":"1"},"Line":[]}}"#.utf8))
        let outcome = try adapter.complete([FetchedEntity(request: request("Payment", "10", "Create"), entity: unapplied)])
        #expect(outcome == .ignored(reason: "payment 10 is applied to no invoice (unapplied or a deposit)"))
    }

    @Test func theDeliveryIDIsTheBodyDigestSoARetryIsStoredOnce() throws {
        let body = try Data(contentsOf: Repository.fixtures.appendingPathComponent("quickbooks/payment.create.legacy.json"))
        let identity = adapter.identify(body)
        #expect(identity.vendorDeliveryID.hasPrefix("sha256:"))
        #expect(identity.eventType == "Payment.Create")
        #expect(adapter.identify(body) == identity)
    }
}
