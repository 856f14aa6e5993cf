import Foundation
public import GatewayCore

/// QuickBooks Online notifications, in both formats: the legacy `eventNotifications` object and
/// the CloudEvents array. Notifications carry ids only; the entities are fetched and mapped here:
///
/// - a Payment (created or updated) is "invoice paid" once per invoice it is applied to, with the
///   amount applied to that invoice (partial payments are real), keyed by invoice and payment;
/// - a voided Payment voids its invoices' payments; a voided Invoice is "invoice voided";
/// - a CreditMemo or RefundReceipt is "credit issued";
/// - a Customer is "customer seen" (email and web domain, for matching).
///
/// Amounts are decimals in the entity's `CurrencyRef` (the home currency when absent) and are
/// converted to minor units exactly.
public struct QuickBooksConnector: Connector {
    public var name: String { "quickbooks" }
    /// The company's home currency, used when an entity has no `CurrencyRef`.
    public var homeCurrency: CurrencyCode

    public init(homeCurrency: CurrencyCode) {
        self.homeCurrency = homeCurrency
    }

    /// Entities whose notifications the ledger uses, with the operations worth a fetch.
    private static let wanted: [String: Set<String>] = [
        "Payment": ["Create", "Update", "Void", "Delete"],
        "Invoice": ["Void", "Delete"],
        "CreditMemo": ["Create", "Update"],
        "RefundReceipt": ["Create", "Update"],
        "Customer": ["Create", "Update"],
    ]

    public func requests(in document: JSONValue) throws(MappingError) -> [EnrichmentRequest] {
        let all: [EnrichmentRequest]
        switch document {
        case .array(let events):
            all = try events.map(cloudEvent)
        case .object:
            all = try legacy(document)
        default:
            throw MappingError(.invalidField, "a QuickBooks notification is a JSON object (legacy) or array (CloudEvents)")
        }
        return all.filter { Self.wanted[$0.entity]?.contains($0.operation) == true }
    }

    private func legacy(_ document: JSONValue) throws(MappingError) -> [EnrichmentRequest] {
        guard case .array(let notifications)? = document.value(at: FieldPath("eventNotifications")) else {
            throw MappingError(.missingField, "eventNotifications not found")
        }
        var requests: [EnrichmentRequest] = []
        for notification in notifications {
            guard let realm = notification.value(at: FieldPath("realmId"))?.scalarText else {
                throw MappingError(.missingField, "eventNotifications[].realmId not found")
            }
            guard case .array(let entities)? = notification.value(at: FieldPath("dataChangeEvent.entities")) else { continue }
            for entity in entities {
                guard let name = entity.value(at: FieldPath("name"))?.scalarText, let id = entity.value(at: FieldPath("id"))?.scalarText,
                    let operation = entity.value(at: FieldPath("operation"))?.scalarText
                else {
                    throw MappingError(.missingField, "dataChangeEvent.entities[] needs name, id and operation")
                }
                requests.append(
                    EnrichmentRequest(
                        connector: self.name, account: realm, entity: name, id: id, operation: operation,
                        occurredAt: Self.date(entity.value(at: FieldPath("lastUpdated")))))
            }
        }
        return requests
    }

    private func cloudEvent(_ event: JSONValue) throws(MappingError) -> EnrichmentRequest {
        guard let type = event.value(at: FieldPath("type"))?.scalarText,
            let id = event.value(at: FieldPath("intuitentityid"))?.scalarText,
            let realm = event.value(at: FieldPath("intuitaccountid"))?.scalarText
        else {
            throw MappingError(.missingField, "a CloudEvent needs type, intuitentityid and intuitaccountid")
        }
        // qbo.<entity>.<action>.v1
        let parts = type.split(separator: ".").map(String.init)
        guard parts.count >= 3, parts[0] == "qbo" else { throw MappingError(.invalidField, "CloudEvent type \(type) is not qbo.<entity>.<action>") }
        return EnrichmentRequest(
            connector: name, account: realm, entity: Self.entityNames[parts[1]] ?? parts[1], id: id,
            operation: Self.operations[parts[2]] ?? parts[2], occurredAt: Self.date(event.value(at: FieldPath("time"))))
    }

    private static let entityNames = [
        "payment": "Payment", "invoice": "Invoice", "creditmemo": "CreditMemo", "refundreceipt": "RefundReceipt", "customer": "Customer",
        "salesreceipt": "SalesReceipt",
    ]
    private static let operations = [
        "created": "Create", "updated": "Update", "deleted": "Delete", "voided": "Void", "merged": "Merge", "emailed": "Emailed",
    ]

    /// A backfilled notification (one the gateway wrote from the Accounting API's `query`) carries
    /// each entity it names under `fetched`, as the API returned it, with its customer:
    /// `{"eventNotifications": […], "fetched": [{"entity": {"Payment": {…}}, "customer": {"Customer": {…}}}]}`.
    public func prefetched(in document: JSONValue, for requests: [EnrichmentRequest]) -> [FetchedEntity]? {
        guard case .array(let items)? = document.value(at: FieldPath("fetched")) else { return nil }
        var fetched: [FetchedEntity] = []
        for request in requests {
            guard request.needsFetch,
                let item = items.first(where: { $0.value(at: FieldPath("entity.\(request.entity).Id"))?.scalarText == request.id })
            else { return nil }
            let customer = item.value(at: FieldPath("customer")).flatMap { $0 == .null ? nil : $0 }
            fetched.append(FetchedEntity(request: request, entity: item.value(at: FieldPath("entity")), customer: customer))
        }
        return fetched
    }

    public func customerID(in entity: JSONValue) -> String? {
        unwrap(entity).value(at: FieldPath("CustomerRef.value"))?.scalarText
    }

    public func outcome(of fetched: FetchedEntity, source: String) throws(MappingError) -> MappingOutcome {
        let request = fetched.request
        guard let fetchedEntity = fetched.entity else {
            return .ignored(reason: "\(request.entity) \(request.id) was deleted; QuickBooks serves no deleted records to map")
        }
        let entity = unwrap(fetchedEntity)
        let customer = try customerReference(entity, customer: fetched.customer, source: source, request: request)
        switch (request.entity, request.operation) {
        case ("Payment", "Void"):
            let invoices = try appliedInvoices(entity)
            guard !invoices.isEmpty else { return .ignored(reason: "voided payment \(request.id) lists no invoices") }
            let voidedAt = try occurred(request, entity)
            return .mapped(
                invoices.map {
                    .invoiceVoided(
                        InvoiceVoided(account: request.account, invoiceID: $0.invoice, paymentID: request.id, customer: customer, voidedAt: voidedAt))
                })
        case ("Payment", _):
            let currency = try currency(entity)
            let paidAt = try date(entity, "TxnDate")
            let invoices = try appliedInvoices(entity)
            guard !invoices.isEmpty else { return .ignored(reason: "payment \(request.id) is applied to no invoice (unapplied or a deposit)") }
            return .mapped(
                try invoices.map { applied throws(MappingError) in
                    .invoicePaid(
                        InvoicePaid(
                            account: request.account, invoiceID: applied.invoice, paymentID: request.id, customer: customer,
                            amountPaid: try money(applied.amount, currency, "Payment.Line[].Amount"), paidAt: paidAt))
                })
        case ("Invoice", _):
            return .mapped([
                .invoiceVoided(
                    InvoiceVoided(
                        account: request.account, invoiceID: request.id, customer: customer,
                        voidedAt: try occurred(request, entity)))
            ])
        case ("CreditMemo", _), ("RefundReceipt", _):
            guard let total = entity.value(at: FieldPath("TotalAmt")) else {
                throw MappingError(.missingField, "\(request.entity).TotalAmt not found")
            }
            return .mapped([
                .creditIssued(
                    CreditIssued(
                        account: request.account, creditID: "\(request.entity):\(request.id)", customer: customer,
                        amount: try money(total, try currency(entity), "\(request.entity).TotalAmt"), issuedAt: try date(entity, "TxnDate")))
            ])
        case ("Customer", _):
            return .mapped([.customerSeen(CustomerSeen(customer: customer, seenAt: try occurred(request, entity)))])
        default:
            return .ignored(reason: "\(request.entity) \(request.operation) is not used by the ledger")
        }
    }

    /// `{"Payment": {…}, "time": …}` → the inner object, as the API wraps it.
    private func unwrap(_ response: JSONValue) -> JSONValue {
        guard case .object(let members) = response else { return response }
        let inner = members.filter { $0.key != "time" }
        if inner.count == 1, case .object = inner.first!.value { return inner.first!.value }
        return response
    }

    private func customerReference(
        _ entity: JSONValue, customer: JSONValue?, source: String, request: EnrichmentRequest
    ) throws(MappingError) -> CustomerReference {
        let record = customer.map(unwrap)
        let id: String? =
            request.entity == "Customer" ? entity.value(at: FieldPath("Id"))?.scalarText : entity.value(at: FieldPath("CustomerRef.value"))?.scalarText
        guard let id else { throw MappingError(.missingField, "\(request.entity).CustomerRef.value not found") }
        let profile = request.entity == "Customer" ? entity : record
        return CustomerReference(
            source: source, id: id,
            email: profile?.value(at: FieldPath("PrimaryEmailAddr.Address"))?.scalarText,
            domain: profile?.value(at: FieldPath("WebAddr.URI"))?.scalarText.flatMap(FieldSpec.domain(of:)),
            name: profile?.value(at: FieldPath("DisplayName"))?.scalarText ?? entity.value(at: FieldPath("CustomerRef.name"))?.scalarText)
    }

    /// Each invoice a payment is applied to, with the amount of the line that applies it.
    private func appliedInvoices(_ payment: JSONValue) throws(MappingError) -> [(invoice: String, amount: JSONValue)] {
        guard case .array(let lines)? = payment.value(at: FieldPath("Line")) else { return [] }
        var applied: [(String, JSONValue)] = []
        for line in lines {
            guard case .array(let links)? = line.value(at: FieldPath("LinkedTxn")),
                let invoice = links.first(where: { $0.value(at: FieldPath("TxnType"))?.scalarText == "Invoice" }),
                let invoiceID = invoice.value(at: FieldPath("TxnId"))?.scalarText
            else { continue }
            guard let amount = line.value(at: FieldPath("Amount")) else { throw MappingError(.missingField, "Payment.Line[].Amount not found") }
            applied.append((invoiceID, amount))
        }
        return applied
    }

    private func currency(_ entity: JSONValue) throws(MappingError) -> CurrencyCode {
        guard let text = entity.value(at: FieldPath("CurrencyRef.value"))?.scalarText else { return homeCurrency }
        guard let code = CurrencyCode(text) else { throw MappingError(.invalidField, "CurrencyRef.value is not an ISO 4217 code") }
        return code
    }

    private func money(_ value: JSONValue, _ currency: CurrencyCode, _ field: String) throws(MappingError) -> Money {
        let decimal: Decimal
        switch value {
        case .integer(let whole): decimal = Decimal(whole)
        case .decimal(let amount): decimal = amount
        default: throw MappingError(.invalidField, "\(field) must be a number, found \(value.typeName)")
        }
        guard let money = Money(decimal: decimal, currency: currency) else {
            throw MappingError(.invalidField, "\(field) has more decimals than \(currency) allows")
        }
        return money
    }

    /// When the notification says the change happened, else the entity's last update.
    private func occurred(_ request: EnrichmentRequest, _ entity: JSONValue) throws(MappingError) -> Date {
        if let occurredAt = request.occurredAt { return occurredAt }
        return try date(entity, "MetaData.LastUpdatedTime")
    }

    private func date(_ entity: JSONValue, _ path: String) throws(MappingError) -> Date {
        guard let date = Self.date(entity.value(at: FieldPath(path))) else {
            throw MappingError(.missingField, "\(path) not found or not a date")
        }
        return date
    }

    /// ISO 8601 timestamps with or without fractional seconds, or a plain date (`TxnDate`).
    static func date(_ value: JSONValue?) -> Date? {
        guard let text = value?.scalarText else { return nil }
        return (try? Date(text, strategy: .iso8601))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle().year().month().day()))
    }
}
