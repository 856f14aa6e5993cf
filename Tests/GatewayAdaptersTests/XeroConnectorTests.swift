import Foundation
import GatewayAdapters
import GatewayCore
import Testing

/// The pure half of Xero: what a notification asks for and what a fetched record becomes.
@Suite struct XeroConnectorTests {
    static let catalog = try! AdapterCatalog.load(directory: Repository.adapters)
    let adapter = catalog["xero"]!
    let connector = XeroConnector()
    let tenant = "3b5c8d2e-7f1a-4c6b-9e0d-2a4f6b8c1e3d"
    let invoiceID = "0f8e4a3c-5b7d-4e2a-9c1f-6d3b8a7e5f21"
    let contactID = "7c2d9e4f-1a3b-4c5d-8e6f-9a0b1c2d3e4f"

    func api(_ name: String) throws -> JSONValue {
        try JSONValue.parse(Data(contentsOf: Repository.fixtures.appendingPathComponent("xero/api/\(name).json")))
    }

    func request(_ entity: String, _ id: String, at occurredAt: Date? = Date(timeIntervalSince1970: 1_748_986_392)) -> EnrichmentRequest {
        EnrichmentRequest(connector: "xero", account: tenant, entity: entity, id: id, operation: "UPDATE", occurredAt: occurredAt)
    }

    /// The paid invoice's JSON with `edit` applied to its one record.
    func invoice(_ edit: (inout [String: JSONValue]) -> Void) throws -> JSONValue {
        guard case .object(var response) = try api("Invoices.\(invoiceID)"), case .array(let records)? = response["Invoices"],
            case .object(var record)? = records.first
        else { throw MappingError(.missingField, "fixture shape") }
        edit(&record)
        response["Invoices"] = .array([.object(record)])
        return .object(response)
    }

    func outcome(_ entity: JSONValue, _ request: EnrichmentRequest? = nil) throws -> MappingOutcome {
        try adapter.complete([FetchedEntity(request: request ?? self.request("Invoice", invoiceID), entity: entity)])
    }

    func events(_ outcome: MappingOutcome) -> [BusinessEvent] {
        if case .mapped(let events) = outcome { return events }
        return []
    }

    // MARK: The webhook

    @Test func theWebhookKeySignsTheRawBodyAsXeroDoes() throws {
        // Computed with Python's hmac over the fixture's bytes.
        let body = try Data(contentsOf: Repository.fixtures.appendingPathComponent("xero/intent-to-receive.json"))
        let key = Secret("fixture-xero-webhook-key-0001")
        #expect(adapter.scheme.sign(body: body, secret: key, at: Date()).first?.value == "GUL5u/u/y2YEvDmSpEed6Ly7OYfB4y+WekH8e1uwtFY=")
        #expect(throws: Never.self) {
            try adapter.verify(body: body, headers: HeaderValues([("X-Xero-Signature", "GUL5u/u/y2YEvDmSpEed6Ly7OYfB4y+WekH8e1uwtFY=")]), secrets: [key], now: Date())
        }
        #expect(adapter.definition.emptyResponses)
    }

    @Test func eventDatesWithoutAZoneAreUTCAndMicrosoftDatesAreMilliseconds() throws {
        let requests = try connector.requests(in: JSONValue.parse(Data(contentsOf: Repository.fixtures.appendingPathComponent("xero/invoice.update.json"))))
        // 21:33:12.837 UTC, to the millisecond (the parse and the literal may differ in the last bits).
        let occurred = try #require(requests.first?.occurredAt)
        #expect(abs(occurred.timeIntervalSince1970 - 1_748_986_392.837) < 0.0005)
        #expect(XeroConnector.date(.string("/Date(1552953600000+0000)/")) == Date(timeIntervalSince1970: 1_552_953_600))
        #expect(XeroConnector.date(.string("/Date(1551981658323)/")) == Date(timeIntervalSince1970: 1_551_981_658_323 / 1000))
        #expect(XeroConnector.date(.string("2019-03-07T17:59:28Z")) == Date(timeIntervalSince1970: 1_551_981_568))
        #expect(XeroConnector.date(.string("/Date(soon)/")) == nil)
        #expect(XeroConnector.date(.string("yesterday")) == nil)
    }

    // MARK: Invoices

    @Test func eachPaymentOfASalesInvoiceIsPaidAndEachAllocatedCreditNoteACredit() throws {
        let mapped = events(try outcome(try api("Invoices.\(invoiceID)")))
        #expect(mapped.map(\.businessKey) == [
            "xero:\(tenant):invoice:\(invoiceID):payment:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d:paid",
            "xero:\(tenant):invoice:\(invoiceID):payment:b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e:paid",
            "xero:\(tenant):credit:c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f:\(invoiceID)",
        ])
        guard case .invoicePaid(let first) = mapped.first, case .invoicePaid(let second) = mapped[1], case .creditIssued(let credit) = mapped.last else {
            Issue.record("unexpected events \(mapped)")
            return
        }
        let usd = CurrencyCode("USD")!
        #expect(first.amountPaid == Money(minorUnits: 100_000, currency: usd))
        #expect(second.amountPaid == Money(minorUnits: 39_900, currency: usd))
        #expect(first.paidAt == Date(timeIntervalSince1970: 1_748_822_400))
        #expect(first.subscriptionID == "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9")
        #expect(first.customer == CustomerReference(source: "xero", id: contactID, email: "ap@brightdental.example", name: "Bright Dental PC"))
        #expect(credit.amount == Money(minorUnits: 10_000, currency: usd))
        #expect(credit.invoiceID == invoiceID)
        #expect(credit.issuedAt == Date(timeIntervalSince1970: 1_748_908_800))
    }

    @Test func aVoidedInvoiceIsVoidedWhateverItListed() throws {
        let mapped = events(try outcome(try invoice { $0["Status"] = .string("VOIDED") }))
        #expect(mapped.map(\.businessKey) == ["xero:\(tenant):invoice:\(invoiceID):voided"])
        guard case .invoiceVoided(let voided)? = mapped.first else {
            Issue.record("unexpected \(mapped)")
            return
        }
        #expect(voided.voidedAt == Date(timeIntervalSince1970: 1_748_986_392))
        #expect(voided.paymentID == nil)
    }

    @Test func aPaymentXeroMarksDeletedVoidsThatPaymentOnly() throws {
        let edited = try invoice { record in
            guard case .array(var payments)? = record["Payments"], case .object(var second) = payments[1] else { return }
            second["Status"] = .string("DELETED")
            payments[1] = .object(second)
            record["Payments"] = .array(payments)
        }
        let keys = events(try outcome(edited)).map(\.businessKey)
        #expect(keys.contains("xero:\(tenant):invoice:\(invoiceID):payment:b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e:voided"))
        #expect(keys.contains("xero:\(tenant):invoice:\(invoiceID):payment:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d:paid"))
        #expect(!keys.contains("xero:\(tenant):invoice:\(invoiceID):payment:b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e:paid"))
    }

    @Test func billsAndUnpaidInvoicesAreIgnoredWithTheReason() throws {
        #expect(try outcome(try invoice { $0["Type"] = .string("ACCPAY") })
            == .ignored(reason: "invoice INV-0042 is not a sales invoice (ACCREC); bills earn no commission"))
        let unpaid = try invoice {
            $0["Status"] = .string("AUTHORISED")
            $0["Payments"] = .array([])
            $0["CreditNotes"] = .array([])
        }
        #expect(try outcome(unpaid) == .ignored(reason: "invoice INV-0042 (AUTHORISED) lists no payment or credit note yet"))
    }

    @Test func amountsAreConvertedExactlyInTheInvoicesCurrencyOrRefused() throws {
        let yen = try invoice {
            $0["CurrencyCode"] = .string("JPY")
            $0["CreditNotes"] = .array([])
            $0["Payments"] = .array([.object(["PaymentID": .string("p-1"), "Date": .string("/Date(1748822400000+0000)/"), "Amount": .integer(165_000)])])
        }
        guard case .invoicePaid(let paid)? = events(try outcome(yen)).first else {
            Issue.record("no payment")
            return
        }
        #expect(paid.amountPaid == Money(minorUnits: 165_000, currency: CurrencyCode("JPY")!))

        let tooPrecise = try invoice {
            $0["CreditNotes"] = .array([])
            $0["Payments"] = .array([.object(["PaymentID": .string("p-1"), "Date": .string("/Date(1748822400000+0000)/"), "Amount": .decimal(Decimal(string: "10.005")!)])])
        }
        #expect(throws: MappingError.self) { try outcome(tooPrecise) }
        let noDate = try invoice { $0["Payments"] = .array([.object(["PaymentID": .string("p-1"), "Amount": .integer(5)])]) }
        #expect(throws: MappingError.self) { try outcome(noDate) }
        #expect(throws: MappingError.self) { try outcome(try invoice { $0["CurrencyCode"] = .string("dollars") }) }
    }

    @Test func anAnswerWithoutExactlyOneRecordFails() throws {
        #expect(throws: MappingError.self) { try outcome(.object(["Invoices": .array([])])) }
        #expect(throws: MappingError.self) { try outcome(.object(["Status": .string("OK")])) }
        #expect(throws: MappingError.self) { try outcome(try invoice { $0["Contact"] = nil }) }
    }

    // MARK: Contacts

    @Test func aContactIsSeenWithItsEmailAndWebDomain() throws {
        let mapped = events(try outcome(try api("Contacts.\(contactID)"), request("Contact", contactID, at: nil)))
        guard case .customerSeen(let seen)? = mapped.first else {
            Issue.record("unexpected \(mapped)")
            return
        }
        #expect(seen.customer == CustomerReference(source: "xero", id: contactID, email: "ap@brightdental.example", domain: "brightdental.example", name: "Bright Dental PC"))
        // Without the notification's time, the contact's own last update.
        #expect(seen.seenAt == Date(timeIntervalSince1970: 1_748_850_000))
    }

    @Test func aNotificationNamesEachInvoiceOnceAtItsLatestEventAndSkipsOtherCategories() throws {
        let requests = try connector.requests(in: JSONValue.parse(Data(contentsOf: Repository.fixtures.appendingPathComponent("xero/mixed.json"))))
        #expect(requests.map(\.entity) == ["Invoice", "Contact"])
        #expect(requests.first?.operation == "UPDATE")
        #expect(throws: MappingError.self) { try connector.requests(in: .object(["events": .array([.object(["resourceId": .string("x")])])])) }
    }
}
