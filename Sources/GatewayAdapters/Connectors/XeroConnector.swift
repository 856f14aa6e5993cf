public import Foundation
public import GatewayCore

/// Xero webhooks: `{"events": [{resourceId, eventCategory, eventType, tenantId, …}], …}`. They
/// carry ids only, so each INVOICE or CONTACT event names an entity the processor fetches from the
/// Accounting API (`GET Invoices/{id}`, `GET Contacts/{id}`), mapped here:
///
/// - a sales invoice (`ACCREC`) is "invoice paid" once per payment it lists, keyed by invoice and
///   payment (partial payments are real); a payment Xero marks `DELETED` voids that payment;
/// - each credit note allocated to it is "credit issued" for the amount applied to it;
/// - a `VOIDED` invoice is "invoice voided";
/// - a contact is "customer seen" (email and web domain, for matching).
///
/// Amounts are decimals in the invoice's `CurrencyCode`, converted to minor units exactly. The
/// intent-to-receive check sends `"events": []`, which names nothing and is ignored.
public struct XeroConnector: Connector {
    public var name: String { "xero" }
    /// Used only when an invoice names no `CurrencyCode`.
    public var homeCurrency: CurrencyCode?

    public init(homeCurrency: CurrencyCode? = nil) {
        self.homeCurrency = homeCurrency
    }

    /// The event categories worth a fetch, and the entity each names.
    private static let entities = ["INVOICE": "Invoice", "CONTACT": "Contact"]

    public func requests(in document: JSONValue) throws(MappingError) -> [EnrichmentRequest] {
        guard case .array(let events)? = document.value(at: FieldPath("events")) else {
            throw MappingError(.missingField, "events not found (a Xero notification is {\"events\": [...]})")
        }
        var requests: [EnrichmentRequest] = []
        for event in events {
            guard let category = event.value(at: FieldPath("eventCategory"))?.scalarText,
                let id = event.value(at: FieldPath("resourceId"))?.scalarText,
                let tenant = event.value(at: FieldPath("tenantId"))?.scalarText,
                let operation = event.value(at: FieldPath("eventType"))?.scalarText
            else {
                throw MappingError(.missingField, "events[] needs eventCategory, resourceId, tenantId and eventType")
            }
            // Credit notes are read from the invoices they are allocated to; subscriptions are the app's own.
            guard let entity = Self.entities[category] else { continue }
            let request = EnrichmentRequest(
                connector: name, account: tenant, entity: entity, id: id, operation: operation,
                occurredAt: Self.date(event.value(at: FieldPath("eventDateUtc"))))
            // A batch may name one invoice twice (created, then updated): one fetch reads its latest state.
            if let index = requests.firstIndex(where: { $0.entity == entity && $0.id == id && $0.account == tenant }) {
                requests[index] = request
            } else {
                requests.append(request)
            }
        }
        return requests
    }

    /// The invoice's contact travels with it (id, name, email), so nothing more is fetched.
    public func customerID(in entity: JSONValue) -> String? { nil }

    public func outcome(of fetched: FetchedEntity, source: String) throws(MappingError) -> MappingOutcome {
        let request = fetched.request
        guard let response = fetched.entity else {
            return .ignored(reason: "\(request.entity) \(request.id) was deleted; Xero serves no deleted records to map")
        }
        let entity = try Self.only(request.entity, in: response)
        switch request.entity {
        case "Invoice": return try invoice(entity, request: request, source: source)
        case "Contact":
            return .mapped([
                .customerSeen(
                    CustomerSeen(
                        customer: try customer(entity, source: source, path: "Contact"),
                        seenAt: try Self.occurred(request, entity)))
            ])
        default:
            return .ignored(reason: "\(request.entity) \(request.operation) is not used by the ledger")
        }
    }

    private func invoice(_ invoice: JSONValue, request: EnrichmentRequest, source: String) throws(MappingError) -> MappingOutcome {
        let number = invoice.value(at: FieldPath("InvoiceNumber"))?.scalarText ?? request.id
        guard invoice.value(at: FieldPath("Type"))?.scalarText == "ACCREC" else {
            return .ignored(reason: "invoice \(number) is not a sales invoice (ACCREC); bills earn no commission")
        }
        let invoiceID = invoice.value(at: FieldPath("InvoiceID"))?.scalarText ?? request.id
        guard case .object(let contact)? = invoice.value(at: FieldPath("Contact")) else {
            throw MappingError(.missingField, "Invoice.Contact not found")
        }
        let customer = try customer(.object(contact), source: source, path: "Invoice.Contact")
        let status = invoice.value(at: FieldPath("Status"))?.scalarText ?? ""
        if status == "VOIDED" {
            let voidedAt = try Self.occurred(request, invoice)
            return .mapped([.invoiceVoided(InvoiceVoided(account: request.account, invoiceID: invoiceID, customer: customer, voidedAt: voidedAt))])
        }
        let currency = try currency(invoice)
        var events: [BusinessEvent] = []
        for payment in Self.list(invoice, "Payments") {
            let paymentID = try Self.required(payment, "PaymentID") { $0?.scalarText }
            if payment.value(at: FieldPath("Status"))?.scalarText == "DELETED" {
                let voidedAt = try Self.occurred(request, invoice)
                events.append(
                    .invoiceVoided(InvoiceVoided(account: request.account, invoiceID: invoiceID, paymentID: paymentID, customer: customer, voidedAt: voidedAt)))
                continue
            }
            events.append(
                .invoicePaid(
                    InvoicePaid(
                        account: request.account, invoiceID: invoiceID, paymentID: paymentID, customer: customer,
                        subscriptionID: invoice.value(at: FieldPath("RepeatingInvoiceID"))?.scalarText,
                        amountPaid: try Self.money(payment, "Amount", currency, "Invoice.Payments[].Amount"),
                        paidAt: try Self.required(payment, "Date", Self.date))))
        }
        for credit in Self.list(invoice, "CreditNotes") {
            let creditID = try Self.required(credit, "CreditNoteID") { $0?.scalarText }
            // One credit note may be allocated over several invoices: each allocation is its own credit.
            events.append(
                .creditIssued(
                    CreditIssued(
                        account: request.account, creditID: "\(creditID):\(invoiceID)", invoiceID: invoiceID, customer: customer,
                        amount: try Self.money(credit, "AppliedAmount", currency, "Invoice.CreditNotes[].AppliedAmount"),
                        issuedAt: try Self.required(credit, "Date", Self.date))))
        }
        guard !events.isEmpty else {
            return .ignored(reason: "invoice \(number) (\(status.isEmpty ? "no status" : status)) lists no payment or credit note yet")
        }
        return .mapped(events)
    }

    private func customer(_ contact: JSONValue, source: String, path: String) throws(MappingError) -> CustomerReference {
        guard let id = contact.value(at: FieldPath("ContactID"))?.scalarText else { throw MappingError(.missingField, "\(path).ContactID not found") }
        return CustomerReference(
            source: source, id: id, email: contact.value(at: FieldPath("EmailAddress"))?.scalarText.flatMap { $0.isEmpty ? nil : $0 },
            domain: contact.value(at: FieldPath("Website"))?.scalarText.flatMap(FieldSpec.domain(of:)),
            name: contact.value(at: FieldPath("Name"))?.scalarText)
    }

    private func currency(_ invoice: JSONValue) throws(MappingError) -> CurrencyCode {
        guard let text = invoice.value(at: FieldPath("CurrencyCode"))?.scalarText else {
            guard let homeCurrency else { throw MappingError(.missingField, "Invoice.CurrencyCode not found and no home_currency is set") }
            return homeCurrency
        }
        guard let code = CurrencyCode(text) else { throw MappingError(.invalidField, "Invoice.CurrencyCode is not an ISO 4217 code") }
        return code
    }

    /// The one record of a `{"Invoices": [{…}]}` response (Xero wraps even a single record in a list).
    static func only(_ entity: String, in response: JSONValue) throws(MappingError) -> JSONValue {
        guard case .array(let records)? = response.value(at: FieldPath("\(entity)s")), records.count == 1, let record = records.first else {
            throw MappingError(.missingField, "the API's answer holds no single \(entity) under \(entity)s")
        }
        return record
    }

    /// When the notification says the change happened, else the record's last update.
    private static func occurred(_ request: EnrichmentRequest, _ entity: JSONValue) throws(MappingError) -> Date {
        if let occurredAt = request.occurredAt { return occurredAt }
        return try required(entity, "UpdatedDateUTC", date)
    }

    private static func list(_ entity: JSONValue, _ member: String) -> [JSONValue] {
        guard case .array(let items)? = entity.value(at: FieldPath(member)) else { return [] }
        return items
    }

    private static func required<T>(_ entity: JSONValue, _ path: String, _ read: (JSONValue?) -> T?) throws(MappingError) -> T {
        guard let value = read(entity.value(at: FieldPath(path))) else { throw MappingError(.missingField, "\(path) not found or not readable") }
        return value
    }

    private static func money(_ entity: JSONValue, _ path: String, _ currency: CurrencyCode, _ field: String) throws(MappingError) -> Money {
        let decimal: Decimal
        switch entity.value(at: FieldPath(path)) {
        case .integer(let whole)?: decimal = Decimal(whole)
        case .decimal(let amount)?: decimal = amount
        case let other?: throw MappingError(.invalidField, "\(field) must be a number, found \(other.typeName)")
        case nil: throw MappingError(.missingField, "\(field) not found")
        }
        guard let money = Money(decimal: decimal, currency: currency) else {
            throw MappingError(.invalidField, "\(field) has more decimals than \(currency) allows")
        }
        return money
    }

    /// Xero's dates: `/Date(1552953600000+0000)/` (milliseconds since 1970, as its JSON writes
    /// them), ISO 8601 with a zone, or without one as `eventDateUtc` is (`2025-12-02T00:44:09.923`,
    /// UTC by its name).
    public static func date(_ value: JSONValue?) -> Date? {
        guard let text = value?.scalarText else { return nil }
        if text.hasPrefix("/Date(") {
            // The offset after the digits only says how Xero would display it; the count is UTC.
            let digits = text.dropFirst(6).prefix { $0.isASCII && $0.isNumber }
            return Int64(digits).map { Date(timeIntervalSince1970: Double($0) / 1000) }
        }
        let zoned = text.hasSuffix("Z") || text.dropFirst(19).contains(where: { $0 == "+" || $0 == "-" }) ? text : text + "Z"
        return (try? Date(zoned, strategy: .iso8601))
            ?? (try? Date(zoned, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}
